"""Orders' domain logic on a real (SQLite) database, without LocalStack or HTTP.

Handlers are called as the consumer calls them: with an Event and a unit of
work that the test commits afterwards.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

import causeway_orders
from causeway import db
from causeway.errors import Unprocessable
from causeway.messaging.envelope import Event, Metadata
from causeway.messaging.models import OutboxMessage
from causeway.uow import UnitOfWork
from causeway_orders import caches, pricing, service
from causeway_orders.handlers import handlers
from causeway_orders.models import Base, Order, OrderStatus

VERSIONS = Path(causeway_orders.__file__).parent / "migrations" / "versions"
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def units(tmp_path):
    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'orders.db'}")
    db.migrate(engine, service_versions=VERSIONS, metadata=Base.metadata)
    sessions = db.session_factory(engine)
    yield lambda: UnitOfWork(sessions=sessions, producer="orders", account="333333333333")
    engine.dispose()


def event(event_type: str, data: dict, *, occurred_at: datetime = T0) -> Event:
    metadata = Metadata(
        event_id=str(uuid.uuid4()),  # a new id each time: this tests the domain, not the inbox
        schema_version=1,
        occurred_at=occurred_at,
        producer="test",
        account="000000000000",
        correlation_id=str(uuid.uuid4()),
    )
    return Event(type=event_type, metadata=metadata, data=data)


def deliver(units, evt: Event) -> None:
    with units() as uow:
        handlers.get(evt.type)(evt, uow)
        uow.commit()


def outbox(units, event_type: str | None = None) -> list[dict]:
    with units() as uow:
        rows = uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [
            {"type": r.event_type, **json.loads(r.detail)["data"]}
            for r in rows
            if event_type is None or r.event_type == event_type
        ]


def product(sku: str, price: int, *, currency: str = "USD", at: datetime = T0) -> Event:
    return event(
        "ProductUpserted",
        {"sku": sku, "name": sku.title(), "unitPrice": price, "currency": currency},
        occurred_at=at,
    )


def place(units, customer: str, *items: tuple[str, int]) -> Order:
    with units() as uow:
        order = service.place_order(uow, customer_id=customer, items=list(items))
        uow.commit()
        return order


# -- pricing ------------------------------------------------------------------------------


def test_pro_discount_is_ten_percent_rounded_half_up():
    assert pricing.discount_for(800, "pro") == 80
    assert pricing.discount_for(2400, "free") == 0
    assert pricing.discount_for(5, "pro") == 1  # 0.5 rounds up
    assert pricing.discount_for(4, "pro") == 0
    assert pricing.discount_for(1000, "unknown-plan") == 0


def test_quote_merges_lines_and_checks_currency_and_quantity():
    prices = {"A": pricing.Price(100, "USD"), "B": pricing.Price(250, "USD"), "E": pricing.Price(100, "EUR")}
    q = pricing.quote([("A", 2), ("B", 1), ("A", 1)], prices=prices, plan="pro", max_quantity=1000)
    assert [(x.sku, x.quantity) for x in q.lines] == [("A", 3), ("B", 1)]
    assert (q.subtotal, q.discount, q.total, q.currency) == (550, 55, 495, "USD")
    for items, code in [
        ([("A", 1), ("E", 1)], "mixed_currencies"),
        ([("Z", 1)], "unknown_sku"),
        ([("A", 600), ("A", 600)], "invalid_quantity"),
        ([], "empty_order"),
    ]:
        with pytest.raises(pricing.PricingError) as raised:
            pricing.quote(items, prices=prices, plan="free", max_quantity=1000)
        assert raised.value.code == code


# -- caches -------------------------------------------------------------------------------


def test_catalogue_cache_never_goes_backwards(units):
    deliver(units, product("SKU-X", 500, at=T0 + timedelta(seconds=2)))
    deliver(units, product("SKU-X", 900, at=T0 + timedelta(seconds=1)))  # older, delivered late
    with units() as uow:
        assert caches.prices(uow, ["SKU-X"])["SKU-X"].unit_price == 500
    deliver(units, product("SKU-X", 700, at=T0 + timedelta(seconds=3)))
    with units() as uow:
        assert caches.prices(uow, ["SKU-X"])["SKU-X"].unit_price == 700


def test_plan_cache_never_goes_backwards(units):
    customer = "c-1"
    started = event("SubscriptionStarted", {"subscriptionId": "s", "customerId": customer, "plan": "free"})
    upgraded = event(
        "SubscriptionUpgraded",
        {"subscriptionId": "s", "customerId": customer, "plan": "pro"},
        occurred_at=T0 + timedelta(minutes=1),
    )
    deliver(units, upgraded)
    deliver(units, started)  # SQS reordered them
    with units() as uow:
        assert caches.plan_of(uow, customer_id=customer) == "pro"
        assert caches.plan_of(uow, customer_id="never-heard-of") == "free"


# -- placing and settling -----------------------------------------------------------------


def test_pro_customer_pays_the_discounted_total(units):
    deliver(units, product("SKU-MUG", 800))
    deliver(units, event("SubscriptionUpgraded", {"subscriptionId": "s", "customerId": "bob", "plan": "pro"}))
    order = place(units, "bob", ("SKU-MUG", 1))
    assert (order.status, order.subtotal, order.discount, order.total) == (OrderStatus.PENDING, 800, 80, 720)
    [placed] = outbox(units, "OrderPlaced")
    assert placed["orderId"] == order.id and placed["customerId"] == "bob"
    assert placed["items"] == [{"sku": "SKU-MUG", "quantity": 1, "unitPrice": 800}]
    assert (placed["subtotal"], placed["discount"], placed["total"], placed["currency"]) == (
        800,
        80,
        720,
        "USD",
    )


def test_an_order_that_cannot_be_priced_writes_nothing(units):
    deliver(units, product("SKU-USD", 100))
    deliver(units, product("SKU-EUR", 100, currency="EUR"))
    for items, code in [
        ([("SKU-NOPE", 1)], "unknown_sku"),
        ([("SKU-USD", 1), ("SKU-EUR", 1)], "mixed_currencies"),
    ]:
        with pytest.raises(Unprocessable) as raised:
            place(units, "alice", *items)
        assert raised.value.code == code
    with units() as uow:
        assert uow.session.scalars(select(Order)).all() == []
    assert outbox(units, "OrderPlaced") == []


def test_settled_orders_never_move(units):
    deliver(units, product("SKU-A", 100))
    order = place(units, "alice", ("SKU-A", 2))
    captured = {
        "paymentId": "p1",
        "purpose": "order",
        "orderId": order.id,
        "customerId": "alice",
        "amount": 200,
    }
    deliver(units, event("PaymentCaptured", captured))
    deliver(units, event("PaymentCaptured", captured))  # another copy (new eventId)
    deliver(units, event("PaymentFailed", {**captured, "reason": "insufficient_funds"}))
    deliver(units, event("StockRejected", {"orderId": order.id, "customerId": "alice", "reason": "out_of_stock"}))
    with units() as uow:
        stored = service.get_order(uow, order_id=order.id)
        assert (stored.status, stored.cancellation_reason) == (OrderStatus.CONFIRMED, None)
    assert [e["orderId"] for e in outbox(units, "OrderConfirmed")] == [order.id]
    assert outbox(units, "OrderCancelled") == []


def test_cancellation_carries_the_reason(units):
    deliver(units, product("SKU-A", 100))
    unpaid = place(units, "alice", ("SKU-A", 1))
    no_stock = place(units, "alice", ("SKU-A", 3))
    deliver(
        units,
        event(
            "PaymentFailed",
            {
                "paymentId": "p",
                "purpose": "order",
                "orderId": unpaid.id,
                "customerId": "alice",
                "amount": 100,
                "currency": "USD",
                "reason": "insufficient_funds",
            },
        ),
    )
    deliver(
        units,
        event("StockRejected", {"orderId": no_stock.id, "customerId": "alice", "reason": "out_of_stock"}),
    )
    with units() as uow:
        assert service.get_order(uow, order_id=unpaid.id).cancellation_reason == "insufficient_funds"
        assert service.get_order(uow, order_id=no_stock.id).cancellation_reason == "out_of_stock"
    assert {(e["orderId"], e["reason"]) for e in outbox(units, "OrderCancelled")} == {
        (unpaid.id, "insufficient_funds"),
        (no_stock.id, "out_of_stock"),
    }


def test_subscription_payments_are_not_orders(units):
    deliver(
        units,
        event(
            "PaymentCaptured",
            {
                "paymentId": "p",
                "purpose": "subscription",
                "subscriptionId": "s",
                "customerId": "bob",
                "amount": 1500,
                "currency": "USD",
            },
        ),
    )
    assert outbox(units) == []
