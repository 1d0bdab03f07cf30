"""The unit of work: a state change and the events it causes commit together.

Views and event handlers open one, change state through `uow.session`, call
`uow.publish(...)` for each fact, and `uow.commit()`. The events land in the
outbox table in the same transaction; the relay sends them after commit.

A read-only unit of work (what GET requests get) changes nothing and publishes
nothing; on SQLite its transaction takes no write lock (see causeway.db).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from causeway.db import begin_read_only
from causeway.messaging import context as message_context
from causeway.messaging import tracing
from causeway.messaging.envelope import Event, new_metadata
from causeway.messaging.models import OutboxMessage


class OutgoingValidator(Protocol):
    def __call__(self, event_type: str, schema_version: int, data: dict[str, Any]) -> None:
        """Raise if the event does not match the schema version it declares."""


def accept_all(event_type: str, schema_version: int, data: dict[str, Any]) -> None:
    return None


class UnitOfWork:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        producer: str,
        account: str,
        on_commit: Callable[[], None] = lambda: None,
        validate: OutgoingValidator = accept_all,
        destination: str = "causeway-bus",
        read_only: bool = False,
    ) -> None:
        self._sessions = sessions
        self._producer = producer
        self._account = account
        self._on_commit = on_commit
        self._validate = validate
        self._destination = destination
        self.read_only = read_only
        self._published: list[Event] = []
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self._published = []
        if self.read_only:
            begin_read_only(self.session)
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Anything not committed explicitly is rolled back: no half-written state.
        self.session.rollback()
        self.session.close()

    def publish(
        self, event_type: str, data: dict[str, Any], *, aggregate_id: str, schema_version: int = 1
    ) -> Event:
        """Stage an event in the outbox of this transaction.

        Events of one aggregate are relayed in the order they were staged.
        The current trace context is stamped into the envelope so the consumer
        continues the same trace, however late the relay sends it.
        """
        if self.read_only:
            raise RuntimeError(f"a read-only unit of work cannot publish {event_type}")
        self._validate(event_type, schema_version, data)
        ctx = message_context.current()
        event_id = str(uuid.uuid4())
        with tracing.creating(event_type, event_id, destination=self._destination) as trace_headers:
            event = Event(
                type=event_type,
                data=data,
                metadata=new_metadata(
                    event_id=event_id,
                    producer=self._producer,
                    account=self._account,
                    schema_version=schema_version,
                    correlation_id=ctx.correlation_id if ctx else None,
                    causation_id=ctx.causation_id if ctx else None,
                    trace_headers=trace_headers,
                ),
            )
        self.session.add(
            OutboxMessage(
                event_id=event.event_id,
                event_type=event_type,
                aggregate_id=str(aggregate_id),
                detail=event.detail_json(),
                created_at=datetime.now(UTC),
                attempts=0,
            )
        )
        self._published.append(event)
        return event

    def commit(self) -> None:
        if self.read_only and (self.session.new or self.session.dirty or self.session.deleted):
            raise RuntimeError("a read-only unit of work cannot change state")
        self.session.commit()
        if self._published:
            self._published = []
            self._on_commit()

    def rollback(self) -> None:
        self.session.rollback()
        self._published = []


UnitOfWorkFactory = Callable[[], UnitOfWork]
