"""Orders service (account 333333333333, port 8002)."""

from __future__ import annotations

from pathlib import Path

from causeway.service import Service
from causeway_orders import views
from causeway_orders.handlers import handlers
from causeway_orders.models import Base
from causeway_orders.settings import OrdersSettings

service = Service(
    name="orders",
    description="Orders priced from local caches of the catalogue and of customers' plans.",
    routers=[views.router, views.catalogue_router],
    handlers=handlers,
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations" / "versions",
    settings_class=OrdersSettings,
)
