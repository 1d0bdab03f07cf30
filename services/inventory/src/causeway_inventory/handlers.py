"""Inventory's event handlers: reserve on OrderPlaced, settle on the payment's outcome.

Handlers never commit: the consumer commits the effect with its inbox record.
"""

from __future__ import annotations

from causeway.messaging.consumer import HandlerRegistry
from causeway.messaging.envelope import Event
from causeway.uow import UnitOfWork
from causeway_inventory import service

handlers = HandlerRegistry()


@handlers.on("OrderPlaced", version=2)  # v1 events arrive upcast (channel "web")
def reserve_stock(event: Event, uow: UnitOfWork) -> None:
    data = event.data
    service.reserve(uow, order_id=data["orderId"], customer_id=data["customerId"], items=data["items"])


def _for_an_order(event: Event) -> str | None:
    # Billing also captures subscription upgrades; those hold no stock.
    if event.data.get("purpose") != "order":
        return None
    return event.data.get("orderId")


@handlers.on("PaymentCaptured")
def commit_reservation(event: Event, uow: UnitOfWork) -> None:
    if order_id := _for_an_order(event):
        service.commit(uow, order_id=order_id)


@handlers.on("PaymentFailed")
def release_reservation(event: Event, uow: UnitOfWork) -> None:
    if order_id := _for_an_order(event):
        service.release(uow, order_id=order_id)
