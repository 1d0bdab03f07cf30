"""Inventory's domain: the catalogue, and stock reservations for orders.

Reservations are all-or-nothing per order. The products an order touches are
locked (FOR UPDATE, in sku order so two orders never deadlock; SQLite
serialises the whole transaction instead), checked, and only then decremented,
so two orders that together exceed a sku's stock can never both reserve it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from sqlalchemy import select

from causeway.uow import UnitOfWork
from causeway_inventory.models import Product, Reservation, ReservationLine, ReservationStatus

log = logging.getLogger("causeway.inventory")

OUT_OF_STOCK = "out_of_stock"


# -- catalogue ----------------------------------------------------------------------


def list_products(uow: UnitOfWork) -> list[Product]:
    return list(uow.session.scalars(select(Product).order_by(Product.sku)))


def get_product(uow: UnitOfWork, *, sku: str) -> Product | None:
    return uow.session.get(Product, sku)


def upsert_product(
    uow: UnitOfWork, *, sku: str, name: str, unit_price: int, currency: str, stock: int
) -> tuple[Product, bool]:
    """Create or replace a product and announce it; returns (product, created).

    `stock` is what is available from now on; reservations already held are
    not affected. Every upsert emits ProductUpserted, which feeds orders'
    catalogue cache (the price orders charge comes from there).
    """
    now = datetime.now(UTC)
    product = uow.session.get(Product, sku, with_for_update=True)
    created = product is None
    if product is None:
        product = Product(sku=sku)
        uow.session.add(product)
    product.name = name
    product.unit_price = unit_price
    product.currency = currency
    product.stock = stock
    product.updated_at = now
    uow.publish(
        "ProductUpserted",
        {"sku": sku, "name": name, "unitPrice": unit_price, "currency": currency},
        aggregate_id=f"product:{sku}",
    )
    return product, created


# -- reservations -------------------------------------------------------------------


def wanted_quantities(items: Iterable[Mapping]) -> dict[str, int]:
    """Quantity per sku, adding up lines that name the same sku twice."""
    wanted: Counter[str] = Counter()
    for item in items:
        wanted[str(item["sku"])] += int(item["quantity"])
    return dict(wanted)


def shortages(wanted: Mapping[str, int], available: Mapping[str, int]) -> list[str]:
    """The skus that cannot be served in full (unknown skus included)."""
    return sorted(sku for sku, quantity in wanted.items() if quantity <= 0 or available.get(sku, 0) < quantity)


def reserve(uow: UnitOfWork, *, order_id: str, customer_id: str, items: Iterable[Mapping]) -> Reservation:
    """Reserve every line of an order or none; emits StockReserved or StockRejected."""
    existing = uow.session.get(Reservation, order_id)
    if existing is not None:  # the same order delivered again: its outcome stands
        return existing
    wanted = wanted_quantities(items)
    products = {
        p.sku: p
        for p in uow.session.scalars(
            select(Product).where(Product.sku.in_(list(wanted))).order_by(Product.sku).with_for_update()
        )
    }
    now = datetime.now(UTC)
    reservation = Reservation(order_id=order_id, customer_id=customer_id, created_at=now, updated_at=now)
    short = shortages(wanted, {sku: p.stock for sku, p in products.items()})
    if short or not wanted:
        reservation.status = ReservationStatus.REJECTED
        uow.session.add(reservation)
        uow.publish(
            "StockRejected",
            {"orderId": order_id, "customerId": customer_id, "reason": OUT_OF_STOCK, "skus": short},
            aggregate_id=order_id,
        )
        return reservation
    for sku, quantity in sorted(wanted.items()):
        products[sku].stock -= quantity
        products[sku].updated_at = now
        reservation.lines.append(ReservationLine(sku=sku, quantity=quantity))
    reservation.status = ReservationStatus.RESERVED
    uow.session.add(reservation)
    uow.publish("StockReserved", {"orderId": order_id, "customerId": customer_id}, aggregate_id=order_id)
    return reservation


def _held(uow: UnitOfWork, order_id: str) -> Reservation | None:
    reservation = uow.session.get(Reservation, order_id, with_for_update=True)
    if reservation is None:
        log.warning("no reservation for order %s", order_id)
        return None
    if reservation.status != ReservationStatus.RESERVED:
        return None  # already settled: a second copy of the payment changes nothing
    return reservation


def release(uow: UnitOfWork, *, order_id: str) -> Reservation | None:
    """The payment failed: put the stock back; emits StockReleased."""
    reservation = _held(uow, order_id)
    if reservation is None:
        return None
    now = datetime.now(UTC)
    for line in reservation.lines:
        product = uow.session.get(Product, line.sku, with_for_update=True)
        if product is not None:
            product.stock += line.quantity
            product.updated_at = now
    reservation.status = ReservationStatus.RELEASED
    reservation.updated_at = now
    uow.publish("StockReleased", {"orderId": order_id, "customerId": reservation.customer_id}, aggregate_id=order_id)
    return reservation


def commit(uow: UnitOfWork, *, order_id: str) -> Reservation | None:
    """The payment was captured: the reserved stock is sold."""
    reservation = _held(uow, order_id)
    if reservation is None:
        return None
    reservation.status = ReservationStatus.COMMITTED
    reservation.updated_at = datetime.now(UTC)
    return reservation
