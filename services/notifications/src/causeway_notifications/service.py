"""Notifications' domain: record one message per event for its customer.

"Sending" is recording: the message is what the customer reads through
GET /notifications (a mail or push gateway would hang off this table later).
Each message is keyed by the event that caused it, so a redelivered event
never notifies twice.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from causeway.uow import UnitOfWork
from causeway_notifications.messages import Message
from causeway_notifications.models import Notification, Recipient


def remember_recipient(uow: UnitOfWork, *, customer_id: str, email: str, name: str) -> None:
    recipient = uow.session.get(Recipient, customer_id)
    if recipient is None:
        recipient = Recipient(customer_id=customer_id)
        uow.session.add(recipient)
    recipient.email = email
    recipient.name = name
    recipient.updated_at = datetime.now(UTC)


def name_of(uow: UnitOfWork, *, customer_id: str) -> str | None:
    recipient = uow.session.get(Recipient, customer_id)
    return recipient.name if recipient else None


def notify(uow: UnitOfWork, *, customer_id: str, event_id: str, message: Message) -> Notification:
    existing = uow.session.scalar(select(Notification).where(Notification.event_id == event_id))
    if existing is not None:
        return existing
    notification = Notification(
        id=str(uuid.uuid4()),
        customer_id=customer_id,
        kind=message.kind,
        subject=message.subject,
        body=message.body,
        event_id=event_id,
        created_at=datetime.now(UTC),
    )
    uow.session.add(notification)
    return notification


def list_notifications(
    uow: UnitOfWork, *, customer_id: str | None, kind: str | None = None, limit: int = 100
) -> list[Notification]:
    """Newest first; `customer_id=None` means every customer's (admins only)."""
    query = select(Notification)
    if customer_id is not None:
        query = query.where(Notification.customer_id == customer_id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    query = query.order_by(Notification.created_at.desc(), Notification.id).limit(limit)
    return list(uow.session.scalars(query))


def get_notification(uow: UnitOfWork, *, notification_id: str) -> Notification | None:
    return uow.session.get(Notification, notification_id)
