"""Billing service (account 555555555555, port 8004)."""

from __future__ import annotations

from pathlib import Path

from causeway.service import Service
from causeway_billing import views
from causeway_billing.handlers import handlers
from causeway_billing.models import Base

service = Service(
    name="billing",
    description="Wallets and payments: charges orders and upgrades once each, never below a zero balance.",
    routers=[views.router],
    handlers=handlers,
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations" / "versions",
)
