"""Notifications service (account 777777777777, port 8006)."""

from __future__ import annotations

from pathlib import Path

from causeway.service import Service
from causeway_notifications import views
from causeway_notifications.handlers import handlers
from causeway_notifications.models import Base

service = Service(
    name="notifications",
    description="The messages sent to customers: welcome, order outcomes, subscription changes.",
    routers=[views.router],
    handlers=handlers,
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations" / "versions",
)
