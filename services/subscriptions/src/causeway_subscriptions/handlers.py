"""Subscriptions' event handlers: start on registration, settle upgrades on payments.

Handlers never commit: the consumer commits the effect with its inbox record.
"""

from __future__ import annotations

from causeway.messaging.consumer import HandlerRegistry
from causeway.messaging.envelope import Event
from causeway.uow import UnitOfWork
from causeway_subscriptions import service

handlers = HandlerRegistry()


@handlers.on("UserRegistered")
def start_free_plan(event: Event, uow: UnitOfWork) -> None:
    service.start(uow, customer_id=event.data["userId"])


def _for_a_subscription(event: Event) -> bool:
    # Billing also reports order payments on the same events; those are not ours.
    return event.data.get("purpose") == "subscription"


@handlers.on("PaymentCaptured")
def upgrade_paid(event: Event, uow: UnitOfWork) -> None:
    if not _for_a_subscription(event):
        return
    service.complete_upgrade(
        uow,
        subscription_id=event.data["subscriptionId"],
        request_id=event.data.get("requestId"),
        payment_id=event.data.get("paymentId"),
    )


@handlers.on("PaymentFailed")
def upgrade_refused(event: Event, uow: UnitOfWork) -> None:
    if not _for_a_subscription(event):
        return
    service.fail_upgrade(
        uow,
        subscription_id=event.data["subscriptionId"],
        request_id=event.data.get("requestId"),
        payment_id=event.data.get("paymentId"),
        reason=event.data.get("reason") or "payment_failed",
    )
