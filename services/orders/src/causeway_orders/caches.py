"""Orders' local copies of other services' facts: the catalogue and customers' plans.

Filled only from events, never by calling the owner. SQS neither keeps order
nor forbids redelivery, so every update is an idempotent upsert keyed by sku or
customerId that applies only if its event occurred no earlier than the one the
row came from: replaying the owners' events in any order rebuilds the same rows
(see services/orders/README.md).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select

from causeway.uow import UnitOfWork
from causeway_orders.models import CatalogueEntry, CustomerPlan
from causeway_orders.pricing import DEFAULT_PLAN, Price

log = logging.getLogger("causeway.orders.caches")


def as_utc(moment: datetime) -> datetime:
    # Stored values are aware UTC (UtcDateTime); an incoming naive one is taken as UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def is_stale(stored: datetime | None, incoming: datetime) -> bool:
    """True when the row already holds a fact newer than the incoming one."""
    return stored is not None and as_utc(stored) > as_utc(incoming)


def upsert_product(
    uow: UnitOfWork, *, sku: str, name: str, unit_price: int, currency: str, occurred_at: datetime
) -> bool:
    """Apply a ProductUpserted; returns False when it was older than what is cached."""
    entry = uow.session.get(CatalogueEntry, sku, with_for_update=True)
    if entry is not None and is_stale(entry.occurred_at, occurred_at):
        log.info("ignoring an older ProductUpserted for %s", sku)
        return False
    if entry is None:
        entry = CatalogueEntry(sku=sku)
        uow.session.add(entry)
    entry.name = name
    entry.unit_price = int(unit_price)
    entry.currency = currency
    entry.occurred_at = as_utc(occurred_at)
    entry.updated_at = datetime.now(UTC)
    return True


def prices(uow: UnitOfWork, skus: Iterable[str]) -> dict[str, Price]:
    wanted = list(skus)
    entries = uow.session.scalars(select(CatalogueEntry).where(CatalogueEntry.sku.in_(wanted)))
    return {e.sku: Price(unit_price=e.unit_price, currency=e.currency) for e in entries}


def record_plan(
    uow: UnitOfWork, *, customer_id: str, plan: str, subscription_id: str | None, occurred_at: datetime
) -> bool:
    """Apply a subscription event's plan; returns False when it was older than what is cached."""
    row = uow.session.get(CustomerPlan, customer_id, with_for_update=True)
    if row is not None and is_stale(row.occurred_at, occurred_at):
        log.info("ignoring an older plan event for customer %s", customer_id)
        return False
    if row is None:
        row = CustomerPlan(customer_id=customer_id)
        uow.session.add(row)
    row.plan = plan
    row.subscription_id = subscription_id
    row.occurred_at = as_utc(occurred_at)
    row.updated_at = datetime.now(UTC)
    return True


def plan_of(uow: UnitOfWork, *, customer_id: str) -> str:
    """The customer's plan as last heard; `free` until subscriptions said otherwise."""
    row = uow.session.get(CustomerPlan, customer_id)
    return row.plan if row is not None else DEFAULT_PLAN


def catalogue(uow: UnitOfWork) -> list[CatalogueEntry]:
    return list(uow.session.scalars(select(CatalogueEntry).order_by(CatalogueEntry.sku)))


def catalogue_entry(uow: UnitOfWork, *, sku: str) -> CatalogueEntry | None:
    return uow.session.get(CatalogueEntry, sku)
