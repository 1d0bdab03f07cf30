"""Notifications' tables: the messages sent to customers, and who the customers are."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from causeway.db import UtcDateTime, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class Recipient(Base):
    """A customer's name and address, cached from UserRegistered (rebuilt by replaying it)."""

    __tablename__ = "recipients"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Notification(Base):
    """One message to one customer, caused by one event (`event_id` is unique)."""

    __tablename__ = "notifications"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
