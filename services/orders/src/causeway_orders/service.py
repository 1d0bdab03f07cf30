"""Orders' domain: placing an order and settling it from the choreography's outcome.

An order is PENDING until inventory rejects it (CANCELLED, out_of_stock) or
billing captures (CONFIRMED) or fails (CANCELLED with the payment's reason).
Settled orders never move again, whatever arrives later.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select

from causeway.errors import Unprocessable
from causeway.uow import UnitOfWork
from causeway_orders import caches, pricing
from causeway_orders.models import Order, OrderLine, OrderStatus

log = logging.getLogger("causeway.orders")

MAX_QUANTITY = 1000  # per sku and order: more is a typo, not a purchase


def price_items(uow: UnitOfWork, *, customer_id: str, items: Iterable[tuple[str, int]]) -> pricing.Quote:
    """What these items cost this customer now, from the local catalogue and plan caches.

    Raises Unprocessable (unknown_sku, invalid_quantity, mixed_currencies) otherwise.
    """
    items = list(items)
    try:
        return pricing.quote(
            items,
            prices=caches.prices(uow, [sku for sku, _quantity in items]),
            plan=caches.plan_of(uow, customer_id=customer_id),
            max_quantity=MAX_QUANTITY,
        )
    except pricing.PricingError as error:
        raise Unprocessable(str(error), code=error.code, details=error.details) from None


DEFAULT_CHANNEL = "web"
ORDER_PLACED_VERSIONS = (1, 2)


def place_order(
    uow: UnitOfWork,
    *,
    customer_id: str,
    items: Iterable[tuple[str, int]],
    channel: str = DEFAULT_CHANNEL,
    shipping_address: dict | None = None,
    event_version: int = 2,
) -> Order:
    """Price the items (see `price_items`), store the order and emit OrderPlaced.

    `event_version` is the OrderPlaced schema version to emit: v1 has no
    channel or shipping address (consumers upcast it with channel `web`).
    Raises Unprocessable before anything is written when the order cannot be priced.
    """
    if event_version not in ORDER_PLACED_VERSIONS:
        raise ValueError(f"orders emits OrderPlaced v1 or v2, not v{event_version}")
    quote = price_items(uow, customer_id=customer_id, items=items)
    now = datetime.now(UTC)
    order = Order(
        id=str(uuid.uuid4()),
        customer_id=customer_id,
        status=OrderStatus.PENDING,
        subtotal=quote.subtotal,
        discount=quote.discount,
        total=quote.total,
        currency=quote.currency,
        plan=quote.plan,
        cancellation_reason=None,
        channel=channel,
        shipping_address=shipping_address,
        created_at=now,
        updated_at=now,
        lines=[
            OrderLine(sku=line.sku, position=i, quantity=line.quantity, unit_price=line.unit_price)
            for i, line in enumerate(quote.lines)
        ],
    )
    uow.session.add(order)
    uow.publish(
        "OrderPlaced", order_placed_data(order, event_version), aggregate_id=order.id, schema_version=event_version
    )
    return order


def order_placed_data(order: Order, version: int) -> dict:
    """OrderPlaced's data in schema `version` (see causeway/schemas/OrderPlaced)."""
    data: dict = {
        "orderId": order.id,
        "customerId": order.customer_id,
        "items": [{"sku": line.sku, "quantity": line.quantity, "unitPrice": line.unit_price} for line in order.lines],
        "subtotal": order.subtotal,
        "discount": order.discount,
        "total": order.total,
        "currency": order.currency,
        "plan": order.plan,
    }
    if version >= 2:
        data["channel"] = order.channel
        if order.shipping_address:
            data["shippingAddress"] = order.shipping_address
    return data


def get_order(uow: UnitOfWork, *, order_id: str) -> Order | None:
    return uow.session.get(Order, order_id)


def list_orders(uow: UnitOfWork, *, customer_id: str | None, status: str | None, limit: int) -> list[Order]:
    """Newest first; every customer's when customer_id is None (admins)."""
    query = select(Order).order_by(Order.created_at.desc(), Order.id).limit(limit)
    if customer_id is not None:
        query = query.where(Order.customer_id == customer_id)
    if status is not None:
        query = query.where(Order.status == status)
    return list(uow.session.scalars(query))


def _pending(uow: UnitOfWork, order_id: str) -> Order | None:
    order = uow.session.get(Order, order_id, with_for_update=True)
    if order is None:
        log.warning("event for unknown order %s ignored", order_id)
        return None
    if order.status != OrderStatus.PENDING:
        log.info("order %s is already %s; event ignored", order_id, order.status)
        return None
    return order


def confirm(uow: UnitOfWork, *, order_id: str, amount: int | None = None) -> Order | None:
    """The payment was captured: CONFIRMED, and OrderConfirmed."""
    order = _pending(uow, order_id)
    if order is None:
        return None
    if amount is not None and amount != order.total:
        log.warning("order %s: captured %s but the total is %s", order_id, amount, order.total)
    order.status = OrderStatus.CONFIRMED
    order.updated_at = datetime.now(UTC)
    uow.publish(
        "OrderConfirmed",
        {
            "orderId": order.id,
            "customerId": order.customer_id,
            "total": order.total,
            "currency": order.currency,
        },
        aggregate_id=order.id,
    )
    return order


def cancel(uow: UnitOfWork, *, order_id: str, reason: str) -> Order | None:
    """Out of stock or not paid: CANCELLED with the reason, and OrderCancelled."""
    order = _pending(uow, order_id)
    if order is None:
        return None
    order.status = OrderStatus.CANCELLED
    order.cancellation_reason = reason
    order.updated_at = datetime.now(UTC)
    uow.publish(
        "OrderCancelled",
        {
            "orderId": order.id,
            "customerId": order.customer_id,
            "reason": reason,
            "total": order.total,
            "currency": order.currency,
        },
        aggregate_id=order.id,
    )
    return order
