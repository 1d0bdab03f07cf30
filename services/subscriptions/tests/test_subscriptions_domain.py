"""Subscriptions' domain rules against a real (SQLite) database, without the stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from causeway import db, schemas
from causeway.errors import Conflict, Unprocessable
from causeway.messaging.models import OutboxMessage
from causeway.uow import UnitOfWork
from causeway_subscriptions import service
from causeway_subscriptions.models import Base, Subscription, UpgradeRequest, UpgradeStatus

MIGRATIONS = Path(service.__file__).parent / "migrations" / "versions"


@pytest.fixture
def new_uow(tmp_path):
    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'subscriptions.db'}")
    db.migrate(engine, service_versions=MIGRATIONS, metadata=Base.metadata)
    sessions = db.session_factory(engine)
    # Every event is checked against its contract schema, as the running service does.
    validate = schemas.default().outgoing_validator()
    yield lambda: UnitOfWork(sessions=sessions, producer="subscriptions", account="666666666666", validate=validate)
    engine.dispose()


def events(new_uow) -> list[tuple[str, dict]]:
    with new_uow() as uow:
        rows = uow.session.execute(select(OutboxMessage.event_type, OutboxMessage.detail).order_by(OutboxMessage.id))
        return [(event_type, json.loads(detail)["data"]) for event_type, detail in rows]


def started(new_uow, customer_id: str = "c1") -> Subscription:
    with new_uow() as uow:
        subscription = service.start(uow, customer_id=customer_id)
        uow.commit()
        return subscription


def request(new_uow, plan: str = "pro", customer_id: str = "c1") -> UpgradeRequest:
    with new_uow() as uow:
        upgrade = service.request_upgrade(uow, customer_id=customer_id, plan=plan)
        uow.commit()
        return upgrade


def current(new_uow, customer_id: str = "c1") -> tuple[str, str | None]:
    """(plan, pending plan)"""
    with new_uow() as uow:
        subscription = service.subscription_of(uow, customer_id=customer_id)
        return subscription.plan, subscription.pending_plan


@pytest.mark.parametrize(
    ("current_plan", "pending", "target", "error", "code"),
    [
        ("free", None, "gold", Unprocessable, "unknown_plan"),
        ("free", "pro", "gold", Unprocessable, "unknown_plan"),
        ("free", None, "free", Conflict, "already_on_plan"),
        ("pro", None, "pro", Conflict, "already_on_plan"),
        ("free", "pro", "pro", Conflict, "upgrade_pending"),
        ("pro", None, "free", Conflict, "not_an_upgrade"),
    ],
)
def test_refused_upgrades(current_plan, pending, target, error, code):
    with pytest.raises(error) as raised:
        service.check_upgrade(current=current_plan, pending=pending, target=target)
    assert raised.value.code == code


def test_free_to_pro_costs_1500_usd():
    plan = service.check_upgrade(current="free", pending=None, target="pro")
    assert (plan.name, plan.upgrade_price, plan.currency) == ("pro", 1500, "USD")


def test_a_customer_starts_once_on_free(new_uow):
    first = started(new_uow)
    again = started(new_uow)
    assert again.id == first.id and first.plan == "free"
    assert events(new_uow) == [
        ("SubscriptionStarted", {"subscriptionId": first.id, "customerId": "c1", "plan": "free", "discountPercent": 0})
    ]


def test_an_upgrade_waits_for_its_payment(new_uow):
    subscription = started(new_uow)
    upgrade = request(new_uow)
    assert current(new_uow) == ("free", "pro")
    event_type, data = events(new_uow)[-1]
    assert event_type == "SubscriptionUpgradeRequested"
    assert data == {
        "subscriptionId": subscription.id,
        "customerId": "c1",
        "fromPlan": "free",
        "toPlan": "pro",
        "amount": 1500,
        "currency": "USD",
        "requestId": upgrade.id,
    }
    with pytest.raises(Conflict):
        request(new_uow)  # one upgrade at a time


def test_a_captured_payment_moves_onto_the_plan_once(new_uow):
    subscription = started(new_uow)
    upgrade = request(new_uow)
    for _copy in range(2):
        with new_uow() as uow:
            service.complete_upgrade(uow, subscription_id=subscription.id, request_id=upgrade.id, payment_id="p1")
            uow.commit()
    assert current(new_uow) == ("pro", None)
    upgraded = [data for event_type, data in events(new_uow) if event_type == "SubscriptionUpgraded"]
    assert len(upgraded) == 1 and upgraded[0]["plan"] == "pro" and upgraded[0]["customerId"] == "c1"


def test_a_failed_payment_keeps_the_plan_and_says_why(new_uow):
    subscription = started(new_uow)
    upgrade = request(new_uow)
    with new_uow() as uow:
        service.fail_upgrade(
            uow, subscription_id=subscription.id, request_id=upgrade.id, payment_id="p1", reason="insufficient_funds"
        )
        uow.commit()
    assert current(new_uow) == ("free", None)
    event_type, data = events(new_uow)[-1]
    assert event_type == "SubscriptionUpgradeFailed"
    assert (data["plan"], data["reason"], data["requestedPlan"]) == ("free", "insufficient_funds", "pro")
    with new_uow() as uow:
        assert uow.session.get(UpgradeRequest, upgrade.id).status == UpgradeStatus.FAILED
    request(new_uow)  # and the customer may try again


def test_a_payment_for_no_pending_request_changes_nothing(new_uow):
    subscription = started(new_uow)
    with new_uow() as uow:
        assert service.complete_upgrade(uow, subscription_id=subscription.id, request_id="r?", payment_id="p") is None
        uow.commit()
    assert current(new_uow) == ("free", None)
    assert [event_type for event_type, _ in events(new_uow)] == ["SubscriptionStarted"]


def test_an_unknown_plan_is_refused_before_anything_is_written(new_uow):
    started(new_uow)
    with pytest.raises(Unprocessable):
        request(new_uow, plan="platinum")
    with pytest.raises(Conflict):
        request(new_uow, plan="free")
    assert current(new_uow) == ("free", None)
    assert [event_type for event_type, _ in events(new_uow)] == ["SubscriptionStarted"]
