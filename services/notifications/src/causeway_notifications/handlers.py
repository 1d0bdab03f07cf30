"""Notifications' event handlers: one message per fact a customer cares about.

Handlers never commit: the consumer commits the effect with its inbox record.
"""

from __future__ import annotations

from causeway.messaging.consumer import HandlerRegistry
from causeway.messaging.envelope import Event
from causeway.uow import UnitOfWork
from causeway_notifications import messages, service

handlers = HandlerRegistry()


def _send(event: Event, uow: UnitOfWork, customer_id: str, message: messages.Message) -> None:
    service.notify(uow, customer_id=customer_id, event_id=event.event_id, message=message)


@handlers.on("UserRegistered")
def welcome(event: Event, uow: UnitOfWork) -> None:
    data = event.data
    service.remember_recipient(uow, customer_id=data["userId"], email=data["email"], name=data["name"])
    _send(event, uow, data["userId"], messages.welcome(name=data["name"], email=data["email"]))


@handlers.on("OrderConfirmed")
def order_confirmed(event: Event, uow: UnitOfWork) -> None:
    data = event.data
    customer_id = data["customerId"]
    message = messages.order_confirmed(
        name=service.name_of(uow, customer_id=customer_id),
        order_id=data["orderId"],
        total=data.get("total"),
        currency=data.get("currency"),
    )
    _send(event, uow, customer_id, message)


@handlers.on("OrderCancelled")
def order_cancelled(event: Event, uow: UnitOfWork) -> None:
    data = event.data
    customer_id = data["customerId"]
    message = messages.order_cancelled(
        name=service.name_of(uow, customer_id=customer_id),
        order_id=data["orderId"],
        reason=data.get("reason") or "unknown",
    )
    _send(event, uow, customer_id, message)


@handlers.on("SubscriptionUpgraded")
def subscription_upgraded(event: Event, uow: UnitOfWork) -> None:
    data = event.data
    customer_id = data["customerId"]
    message = messages.subscription_upgraded(
        name=service.name_of(uow, customer_id=customer_id), plan=data["plan"]
    )
    _send(event, uow, customer_id, message)


@handlers.on("SubscriptionUpgradeFailed")
def subscription_upgrade_failed(event: Event, uow: UnitOfWork) -> None:
    data = event.data
    customer_id = data["customerId"]
    message = messages.subscription_upgrade_failed(
        name=service.name_of(uow, customer_id=customer_id),
        plan=data["plan"],
        requested_plan=data.get("requestedPlan"),
        reason=data.get("reason") or "unknown",
    )
    _send(event, uow, customer_id, message)
