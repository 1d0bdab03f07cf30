"""Billing's event handlers: open wallets, remember order totals, charge.

An order is charged when both its OrderPlaced and its StockReserved are in,
whichever arrives first: each handler records its fact on the order's row and
the second one charges, so an early StockReserved is kept, not retried.

Handlers never commit: the consumer commits the effect with its inbox record.
A handler that raises (a missing field, a wallet that is not open yet, another
process creating the same order's row at that moment) is retried with backoff
and ends in the dead-letter queue if it never succeeds.
"""

from __future__ import annotations

from causeway.messaging.consumer import HandlerRegistry
from causeway.messaging.envelope import Event
from causeway.uow import UnitOfWork
from causeway_billing import service

handlers = HandlerRegistry()


@handlers.on("UserRegistered")
def open_wallet(event: Event, uow: UnitOfWork) -> None:
    service.open_wallet(uow, customer_id=event.data["userId"])


@handlers.on("OrderPlaced", version=2)  # v1 events arrive upcast (channel "web")
def remember_order(event: Event, uow: UnitOfWork) -> None:
    # Charges too if this order's StockReserved came first.
    data = event.data
    service.remember_order(
        uow,
        order_id=data["orderId"],
        customer_id=data["customerId"],
        total=int(data["total"]),
        currency=data["currency"],
    )


@handlers.on("StockReserved")
def charge_order(event: Event, uow: UnitOfWork) -> None:
    # The amount comes from our own copy of OrderPlaced, not from inventory; if
    # that has not arrived yet, this is recorded and OrderPlaced charges.
    service.charge_order(uow, order_id=event.data["orderId"])


@handlers.on("SubscriptionUpgradeRequested")
def charge_upgrade(event: Event, uow: UnitOfWork) -> None:
    data = event.data
    service.charge_subscription(
        uow,
        subscription_id=data["subscriptionId"],
        # One charge per upgrade request; a producer that sends no requestId
        # gets one charge per event.
        request_id=data.get("requestId") or event.event_id,
        customer_id=data["customerId"],
        amount=int(data["amount"]),
        currency=data.get("currency", service.WALLET_CURRENCY),
    )
