"""What a service's relay sent, read (never written) from its transactional outbox."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from causeway_devstack.stack import Stack


def sent(stack: Stack, service: str, event_type: str) -> list[tuple[str, str]]:
    """(aggregate id, detail as sent) of each `event_type` in the service's outbox, on SQLite or PostgreSQL."""
    engine = create_engine(stack.service_env(service)["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT aggregate_id, detail FROM causeway_outbox WHERE event_type = :type"),
                {"type": event_type},
            ).all()
    finally:
        engine.dispose()
    return [(aggregate_id, detail) for aggregate_id, detail in rows]
