"""Platform service (account 222222222222, port 8000).

It owns the central bus `causeway-bus`, the schema registry (seeded at start
from the schema files shipped with the SDK) and the event catalogue page;
the event archive and the ops console come in later issues.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from causeway.service import Runtime, Service
from causeway_platform import registry, views
from causeway_platform.models import Base

log = logging.getLogger("causeway.platform")


def start(runtime: Runtime) -> None:
    """Seed the registry from the repository's schemas (idempotent; a concurrent start just retries)."""
    for attempt in range(3):
        with runtime.unit_of_work() as uow:
            try:
                added, unchanged = registry.seed(uow.session, runtime.contracts)
                uow.commit()
            except IntegrityError:
                if attempt == 2:
                    raise
                continue
        log.info("schema registry: %d version(s) seeded, %d unchanged", added, unchanged)
        return


service = Service(
    name="platform",
    description="Home of the central event bus: schema registry, event catalogue and ops.",
    routers=[views.router, views.schemas_router, views.catalog_router],
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations" / "versions",
    on_start=start,
)
