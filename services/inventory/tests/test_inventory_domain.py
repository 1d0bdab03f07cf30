"""Inventory's reservation logic on a real (SQLite) database, without LocalStack or HTTP."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

import causeway_inventory
from causeway import db
from causeway.messaging.envelope import Event, Metadata
from causeway.messaging.models import OutboxMessage
from causeway.uow import UnitOfWork
from causeway_inventory import service
from causeway_inventory.handlers import handlers
from causeway_inventory.models import Base, Reservation, ReservationStatus

VERSIONS = Path(causeway_inventory.__file__).parent / "migrations" / "versions"


@pytest.fixture
def units(tmp_path):
    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'inventory.db'}")
    db.migrate(engine, service_versions=VERSIONS, metadata=Base.metadata)
    sessions = db.session_factory(engine)
    yield lambda: UnitOfWork(sessions=sessions, producer="inventory", account="444444444444")
    engine.dispose()


def event(event_type: str, data: dict) -> Event:
    metadata = Metadata(
        event_id=str(uuid.uuid4()),  # a new id each time: this tests the domain, not the inbox
        schema_version=1,
        occurred_at=datetime.now(UTC),
        producer="test",
        account="000000000000",
        correlation_id=str(uuid.uuid4()),
    )
    return Event(type=event_type, metadata=metadata, data=data)


def deliver(units, event_type: str, data: dict) -> None:
    with units() as uow:
        handlers.get(event_type)(event(event_type, data), uow)
        uow.commit()


def add_product(units, sku: str, stock: int, price: int = 100) -> None:
    with units() as uow:
        service.upsert_product(uow, sku=sku, name=sku, unit_price=price, currency="USD", stock=stock)
        uow.commit()


def stock(units, sku: str) -> int:
    with units() as uow:
        return service.get_product(uow, sku=sku).stock


def published(units, event_type: str) -> list[dict]:
    with units() as uow:
        rows = uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.event_type == event_type).order_by(OutboxMessage.id)
        )
        return [json.loads(r.detail)["data"] for r in rows]


def placed(order_id: str, *lines: tuple[str, int]) -> dict:
    return {
        "orderId": order_id,
        "customerId": "c1",
        "items": [{"sku": s, "quantity": q, "unitPrice": 100} for s, q in lines],
        "total": 100,
        "currency": "USD",
    }


def payment(order_id: str, *, purpose: str = "order", reason: str | None = None) -> dict:
    data = {"paymentId": "p", "purpose": purpose, "orderId": order_id, "customerId": "c1", "amount": 100}
    return data | ({"reason": reason} if reason else {})


def test_upsert_announces_the_product(units):
    add_product(units, "SKU-A", 5, price=1200)
    assert published(units, "ProductUpserted") == [
        {"sku": "SKU-A", "name": "SKU-A", "unitPrice": 1200, "currency": "USD"}
    ]


def test_reserves_every_line_or_none(units):
    add_product(units, "A", 5)
    add_product(units, "B", 1)
    deliver(units, "OrderPlaced", placed("o1", ("A", 2), ("B", 2)))  # B is short
    assert (stock(units, "A"), stock(units, "B")) == (5, 1)
    assert published(units, "StockRejected") == [
        {"orderId": "o1", "customerId": "c1", "reason": "out_of_stock", "skus": ["B"]}
    ]
    deliver(units, "OrderPlaced", placed("o2", ("A", 2), ("B", 1)))
    assert (stock(units, "A"), stock(units, "B")) == (3, 0)
    assert published(units, "StockReserved") == [{"orderId": "o2", "customerId": "c1"}]


def test_unknown_sku_and_repeated_lines(units):
    add_product(units, "A", 3)
    deliver(units, "OrderPlaced", placed("o1", ("A", 1), ("NOPE", 1)))
    deliver(units, "OrderPlaced", placed("o2", ("A", 2), ("A", 2)))  # 4 in all: too many
    assert stock(units, "A") == 3
    assert [e["orderId"] for e in published(units, "StockRejected")] == ["o1", "o2"]


def test_orders_together_exceeding_stock_never_both_reserve(units):
    add_product(units, "A", 3)
    deliver(units, "OrderPlaced", placed("o1", ("A", 2)))
    deliver(units, "OrderPlaced", placed("o2", ("A", 2)))
    assert stock(units, "A") == 1
    assert [e["orderId"] for e in published(units, "StockReserved")] == ["o1"]
    assert [e["orderId"] for e in published(units, "StockRejected")] == ["o2"]


def test_an_order_delivered_twice_is_reserved_once(units):
    add_product(units, "A", 3)
    deliver(units, "OrderPlaced", placed("o1", ("A", 1)))
    deliver(units, "OrderPlaced", placed("o1", ("A", 1)))  # a re-sent copy with a new eventId
    assert stock(units, "A") == 2
    assert len(published(units, "StockReserved")) == 1


def test_failed_payment_releases_once(units):
    add_product(units, "A", 3)
    deliver(units, "OrderPlaced", placed("o1", ("A", 2)))
    deliver(units, "PaymentFailed", payment("o1", reason="insufficient_funds"))
    deliver(units, "PaymentFailed", payment("o1", reason="insufficient_funds"))
    deliver(units, "PaymentCaptured", payment("o1"))  # too late: the reservation is settled
    assert stock(units, "A") == 3
    assert published(units, "StockReleased") == [{"orderId": "o1", "customerId": "c1"}]
    with units() as uow:
        assert uow.session.get(Reservation, "o1").status == ReservationStatus.RELEASED


def test_captured_payment_commits_the_stock(units):
    add_product(units, "A", 3)
    deliver(units, "OrderPlaced", placed("o1", ("A", 2)))
    deliver(units, "PaymentCaptured", payment("o1"))
    deliver(units, "PaymentFailed", payment("o1", reason="insufficient_funds"))
    assert stock(units, "A") == 1
    assert published(units, "StockReleased") == []
    with units() as uow:
        assert uow.session.get(Reservation, "o1").status == ReservationStatus.COMMITTED


def test_subscription_payments_hold_no_stock(units):
    deliver(units, "PaymentFailed", payment("x", purpose="subscription", reason="insufficient_funds"))
    deliver(units, "PaymentCaptured", payment("x", purpose="subscription"))
    assert published(units, "StockReleased") == []
