"""Orders' event handlers: the caches, and the order's outcome.

Handlers never commit: the consumer commits the effect with its inbox record.
"""

from __future__ import annotations

from causeway.messaging.consumer import HandlerRegistry
from causeway.messaging.envelope import Event
from causeway.uow import UnitOfWork
from causeway_orders import caches, service

handlers = HandlerRegistry()

OUT_OF_STOCK = "out_of_stock"
PAYMENT_FAILED = "payment_failed"  # when billing gives no reason


# -- caches ---------------------------------------------------------------------------


@handlers.on("ProductUpserted")
def cache_product(event: Event, uow: UnitOfWork) -> None:
    data = event.data
    caches.upsert_product(
        uow,
        sku=data["sku"],
        name=data["name"],
        unit_price=data["unitPrice"],
        currency=data["currency"],
        occurred_at=event.metadata.occurred_at,
    )


@handlers.on("SubscriptionStarted")
@handlers.on("SubscriptionUpgraded")
@handlers.on("SubscriptionUpgradeFailed")
def cache_plan(event: Event, uow: UnitOfWork) -> None:
    # All three carry the plan the customer is on after the fact.
    data = event.data
    caches.record_plan(
        uow,
        customer_id=data["customerId"],
        plan=data["plan"],
        subscription_id=data.get("subscriptionId"),
        occurred_at=event.metadata.occurred_at,
    )


# -- the order's outcome ----------------------------------------------------------------


@handlers.on("StockRejected")
def cancel_out_of_stock(event: Event, uow: UnitOfWork) -> None:
    service.cancel(uow, order_id=event.data["orderId"], reason=event.data.get("reason") or OUT_OF_STOCK)


def _for_an_order(event: Event) -> str | None:
    # Billing also charges subscription upgrades; those are not ours.
    if event.data.get("purpose") != "order":
        return None
    return event.data.get("orderId")


@handlers.on("PaymentCaptured")
def confirm_paid(event: Event, uow: UnitOfWork) -> None:
    if order_id := _for_an_order(event):
        service.confirm(uow, order_id=order_id, amount=event.data.get("amount"))


@handlers.on("PaymentFailed")
def cancel_unpaid(event: Event, uow: UnitOfWork) -> None:
    if order_id := _for_an_order(event):
        service.cancel(uow, order_id=order_id, reason=event.data.get("reason") or PAYMENT_FAILED)
