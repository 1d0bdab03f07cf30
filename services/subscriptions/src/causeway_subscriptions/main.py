"""Subscriptions service (account 666666666666, port 8005)."""

from __future__ import annotations

from pathlib import Path

from causeway.service import Service
from causeway_subscriptions import views
from causeway_subscriptions.handlers import handlers
from causeway_subscriptions.models import Base

service = Service(
    name="subscriptions",
    description="Plans and subscriptions: customers start free; upgrades settle once billing has charged.",
    routers=[views.router],
    handlers=handlers,
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations" / "versions",
)
