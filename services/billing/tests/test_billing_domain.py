"""Billing's domain rules against a real (SQLite) database, without the stack.

The migrations are the service's own; concurrency runs two real transactions
on one database file, as two consumer threads would.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from causeway import db, schemas
from causeway.errors import NotFound, Unprocessable
from causeway.messaging.models import OutboxMessage
from causeway.uow import UnitOfWork
from causeway_billing import service
from causeway_billing.models import Base, OrderTotal, Payment, PaymentStatus, Wallet

MIGRATIONS = Path(service.__file__).parent / "migrations" / "versions"


@pytest.fixture
def new_uow(tmp_path):
    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'billing.db'}")
    db.migrate(engine, service_versions=MIGRATIONS, metadata=Base.metadata)
    sessions = db.session_factory(engine)
    # Every event is checked against its contract schema, as the running service does.
    validate = schemas.default().outgoing_validator()
    yield lambda: UnitOfWork(sessions=sessions, producer="billing", account="555555555555", validate=validate)
    engine.dispose()


def open_wallet(new_uow, customer_id: str = "c1") -> None:
    with new_uow() as uow:
        service.open_wallet(uow, customer_id=customer_id)
        uow.commit()


def balance(new_uow, customer_id: str = "c1") -> int:
    with new_uow() as uow:
        return uow.session.get(Wallet, customer_id).balance


def outbox(new_uow) -> list[str]:
    with new_uow() as uow:
        return list(uow.session.scalars(select(OutboxMessage.event_type).order_by(OutboxMessage.id)))


def charge_upgrade(new_uow, request_id: str, amount: int = 1500, customer_id: str = "c1") -> Payment:
    with new_uow() as uow:
        payment = service.charge_subscription(
            uow, subscription_id="s1", request_id=request_id, customer_id=customer_id, amount=amount, currency="USD"
        )
        uow.commit()
        return payment


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (1500, "USD", None),
        (10_000, "USD", None),  # exactly the balance
        (10_001, "USD", service.INSUFFICIENT_FUNDS),
        (0, "USD", None),  # nothing to take, nothing to refuse
        (-5, "USD", service.INVALID_AMOUNT),  # a charge never credits
        (100, "EUR", service.CURRENCY_MISMATCH),
    ],
)
def test_refusal(amount, currency, expected):
    assert service.refusal(balance=10_000, wallet_currency="USD", amount=amount, currency=currency) == expected


def test_a_wallet_opens_once_with_the_opening_balance(new_uow):
    open_wallet(new_uow)
    with new_uow() as uow:
        uow.session.get(Wallet, "c1").balance = 42  # spent some
        uow.commit()
    open_wallet(new_uow)  # UserRegistered delivered again
    assert balance(new_uow) == 42
    with new_uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Wallet)) == 1


def test_a_charge_request_is_applied_once(new_uow):
    open_wallet(new_uow)
    first = charge_upgrade(new_uow, "r1")
    again = charge_upgrade(new_uow, "r1")
    assert again.id == first.id and first.status == PaymentStatus.CAPTURED
    assert balance(new_uow) == 8500
    assert outbox(new_uow) == ["PaymentCaptured"]


def test_another_request_of_the_same_subscription_is_a_new_charge(new_uow):
    open_wallet(new_uow)
    charge_upgrade(new_uow, "r1")
    charge_upgrade(new_uow, "r2")
    assert balance(new_uow) == 7000


def test_a_charge_above_the_balance_fails_and_takes_nothing(new_uow):
    open_wallet(new_uow)
    payment = charge_upgrade(new_uow, "r1", amount=10_001)
    assert (payment.status, payment.reason) == (PaymentStatus.FAILED, "insufficient_funds")
    assert balance(new_uow) == 10_000
    assert outbox(new_uow) == ["PaymentFailed"]
    with new_uow() as uow:
        detail = uow.session.scalar(select(OutboxMessage.detail))
    assert '"reason":"insufficient_funds"' in detail and '"purpose":"subscription"' in detail


def test_an_order_is_charged_its_cached_total(new_uow):
    open_wallet(new_uow)
    with new_uow() as uow:
        service.remember_order(uow, order_id="o1", customer_id="c1", total=2400, currency="USD")
        service.remember_order(uow, order_id="o1", customer_id="c1", total=9999, currency="USD")  # a copy
        uow.commit()
    with new_uow() as uow:
        payment = service.charge_order(uow, order_id="o1")
        uow.commit()
    assert (payment.amount, payment.order_id, payment.purpose) == (2400, "o1", "order")
    assert balance(new_uow) == 7600
    with new_uow() as uow:
        assert uow.session.get(OrderTotal, "o1").total == 2400


def order_placed(new_uow, order_id: str = "o1", total: int = 2400) -> Payment | None:
    with new_uow() as uow:
        payment = service.remember_order(uow, order_id=order_id, customer_id="c1", total=total, currency="USD")
        uow.commit()
        return payment


def stock_reserved(new_uow, order_id: str = "o1") -> Payment | None:
    with new_uow() as uow:
        payment = service.charge_order(uow, order_id=order_id)
        uow.commit()
        return payment


def order_payments(new_uow, order_id: str = "o1") -> list[Payment]:
    with new_uow() as uow:
        payments = list(uow.session.scalars(select(Payment).where(Payment.order_id == order_id)))
        uow.session.expunge_all()  # readable after the unit of work rolls back its read
        return payments


@pytest.mark.parametrize(
    "arrivals",
    [
        ["placed", "reserved"],
        ["reserved", "placed"],
        ["reserved", "reserved", "placed"],
        ["reserved", "placed", "reserved"],
        ["placed", "placed", "reserved"],
        ["reserved", "placed", "placed"],
        ["placed", "reserved", "placed", "reserved"],
        ["reserved", "placed", "reserved", "placed"],
    ],
    ids="-".join,
)
def test_an_order_is_charged_once_whichever_event_arrives_first(new_uow, arrivals):
    open_wallet(new_uow)
    placed = 0
    for arrival in arrivals:
        if arrival == "placed":
            # A later copy of OrderPlaced with another total changes nothing.
            order_placed(new_uow, total=2400 if placed == 0 else 9999)
            placed += 1
        else:
            stock_reserved(new_uow)
    [payment] = order_payments(new_uow)
    assert (payment.status, payment.amount, payment.currency, payment.customer_id) == (
        PaymentStatus.CAPTURED,
        2400,
        "USD",
        "c1",
    )
    assert balance(new_uow) == 7600
    assert outbox(new_uow) == ["PaymentCaptured"]
    with new_uow() as uow:
        order = uow.session.get(OrderTotal, "o1")
        assert order.total == 2400 and order.stock_reserved_at is not None


def test_stock_reserved_before_order_placed_is_kept_not_retried(new_uow):
    open_wallet(new_uow)
    assert stock_reserved(new_uow, "o-early") is None  # no NotYetKnown: nothing to retry
    assert order_payments(new_uow, "o-early") == []
    assert balance(new_uow) == 10_000
    assert outbox(new_uow) == []
    with new_uow() as uow:
        order = uow.session.get(OrderTotal, "o-early")
        assert not order.known and order.total is None and order.customer_id is None
        assert order.stock_reserved_at is not None
    payment = order_placed(new_uow, "o-early")  # OrderPlaced arriving later charges
    assert payment is not None and payment.amount == 2400


def test_order_placed_alone_charges_nothing(new_uow):
    open_wallet(new_uow)
    assert order_placed(new_uow) is None
    assert order_payments(new_uow) == []
    with new_uow() as uow:
        assert uow.session.get(OrderTotal, "o1").stock_reserved_at is None


def test_an_order_whose_wallet_is_not_open_is_retried_and_records_nothing(new_uow):
    stock_reserved(new_uow)
    with new_uow() as uow, pytest.raises(service.NotYetKnown):
        service.remember_order(uow, order_id="o1", customer_id="c1", total=2400, currency="USD")
    with new_uow() as uow:
        assert not uow.session.get(OrderTotal, "o1").known  # rolled back with the failed charge
    open_wallet(new_uow)
    order_placed(new_uow)  # the retry, once UserRegistered was applied
    assert [p.amount for p in order_payments(new_uow)] == [2400]
    assert balance(new_uow) == 7600


def test_order_placed_and_stock_reserved_at_once_charge_once(new_uow):
    open_wallet(new_uow)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def deliver(event) -> None:
        start.wait()
        try:
            event(new_uow)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=deliver, args=(event,)) for event in (order_placed, stock_reserved)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [p.amount for p in order_payments(new_uow)] == [2400]
    assert balance(new_uow) == 7600


def test_a_charge_before_the_wallet_exists_is_retried(new_uow):
    with new_uow() as uow, pytest.raises(service.NotYetKnown):
        service.charge_subscription(
            uow, subscription_id="s1", request_id="r1", customer_id="nobody", amount=1500, currency="USD"
        )


def test_two_charges_that_together_exceed_the_wallet_never_both_capture(new_uow):
    open_wallet(new_uow)
    start = threading.Barrier(2)
    results: list[Payment] = []

    def charge(request_id: str) -> None:
        start.wait()
        results.append(charge_upgrade(new_uow, request_id, amount=6000))

    threads = [threading.Thread(target=charge, args=(f"r{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(p.status for p in results) == [PaymentStatus.CAPTURED, PaymentStatus.FAILED]
    assert balance(new_uow) == 4000


def test_top_up(new_uow):
    open_wallet(new_uow)
    with new_uow() as uow:
        wallet = service.top_up(uow, customer_id="c1", amount=500)
        uow.commit()
    assert wallet.balance == 10_500 == balance(new_uow)


def test_top_up_refusals_change_nothing(new_uow):
    open_wallet(new_uow)
    with new_uow() as uow, pytest.raises(Unprocessable) as error:
        service.top_up(uow, customer_id="c1", amount=100, currency="EUR")
    assert error.value.code == "currency_mismatch"
    with new_uow() as uow, pytest.raises(Unprocessable) as error:
        service.top_up(uow, customer_id="c1", amount=service.MAX_BALANCE)
    assert error.value.code == "balance_limit"
    with new_uow() as uow, pytest.raises(NotFound):
        service.top_up(uow, customer_id="nobody", amount=100)
    assert balance(new_uow) == 10_000
