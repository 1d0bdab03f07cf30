"""The SDK's own tables, next to each service's data (see migrations/versions)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from causeway.db import UtcDateTime, new_metadata


class MessagingBase(DeclarativeBase):
    metadata = new_metadata()


class OutboxMessage(MessagingBase):
    """An event committed with the state change that caused it, waiting for the relay."""

    __tablename__ = "causeway_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(128))
    aggregate_id: Mapped[str] = mapped_column(String(128))
    detail: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class RelayState(MessagingBase):
    """Which incarnation of the central bus this service's relay last published into.

    `bus_generation` is the bus's creation time. A bus created anew (LocalStack
    restarted, which keeps nothing) lost whatever its queues still held, so the
    relay sends the events it published into the old one again (see relay.py).
    """

    __tablename__ = "causeway_relay_state"

    destination: Mapped[str] = mapped_column(String(256), primary_key=True)
    bus_generation: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class InboxRecord(MessagingBase):
    """An event already applied; written in the same transaction as its effect."""

    __tablename__ = "causeway_inbox"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
