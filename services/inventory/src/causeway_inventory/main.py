"""Inventory service (account 444444444444, port 8003)."""

from __future__ import annotations

from pathlib import Path

from causeway.service import Runtime, Service
from causeway_inventory import seed, views
from causeway_inventory.handlers import handlers
from causeway_inventory.models import Base
from causeway_inventory.settings import InventorySettings


def start(runtime: Runtime) -> None:
    seed.seed(runtime)


service = Service(
    name="inventory",
    description="Products, stock and reservations: reserves every line of an order or none.",
    routers=[views.router],
    handlers=handlers,
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations" / "versions",
    on_start=start,
    settings_class=InventorySettings,
)
