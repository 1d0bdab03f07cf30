"""Billing's domain: wallets, and charges for orders and subscription upgrades.

Every charge locks the customer's wallet row (FOR UPDATE on PostgreSQL;
SQLite serialises the whole transaction instead) before it reads the balance,
so two charges that together exceed a wallet can never both capture. A charge
is recorded as a Payment keyed by what it pays for, so a charge request that
arrives twice is applied once, whatever its event id.

An order is charged once both OrderPlaced (its total) and StockReserved have
arrived, in either order: each is recorded on the order's row, and whichever
comes second charges.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from causeway.errors import NotFound, Unprocessable
from causeway.uow import UnitOfWork
from causeway_billing.models import OrderTotal, Payment, PaymentStatus, Purpose, Wallet

log = logging.getLogger("causeway.billing")

OPENING_BALANCE = 10_000  # minor units, granted to every new customer
WALLET_CURRENCY = "USD"
MAX_TOP_UP = 1_000_000  # minor units per top-up: 10 000.00 USD
MAX_BALANCE = 1_000_000_000  # a wallet never holds more than 10 000 000.00 USD

INSUFFICIENT_FUNDS = "insufficient_funds"
CURRENCY_MISMATCH = "currency_mismatch"
INVALID_AMOUNT = "invalid_amount"


class NotYetKnown(RuntimeError):
    """The event depends on a fact that has not arrived yet (SQS keeps no order).

    Today that is a charge for a customer whose wallet is not open yet
    (UserRegistered not applied). Raised from a handler, it leaves the message on the queue: the consumer
    retries it with backoff, and the missing fact usually lands in between.
    """


# -- wallets ------------------------------------------------------------------------


def open_wallet(uow: UnitOfWork, *, customer_id: str) -> Wallet:
    """The wallet of a newly registered customer; a second registration event changes nothing."""
    wallet = uow.session.get(Wallet, customer_id)
    if wallet is not None:
        return wallet
    now = datetime.now(UTC)
    wallet = Wallet(
        customer_id=customer_id,
        balance=OPENING_BALANCE,
        currency=WALLET_CURRENCY,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(wallet)
    return wallet


def get_wallet(uow: UnitOfWork, *, customer_id: str) -> Wallet:
    wallet = uow.session.get(Wallet, customer_id)
    if wallet is None:
        raise NotFound("no wallet for this customer", code="wallet_not_found")
    return wallet


def _locked_wallet(uow: UnitOfWork, customer_id: str) -> Wallet | None:
    return uow.session.scalar(select(Wallet).where(Wallet.customer_id == customer_id).with_for_update())


def top_up(uow: UnitOfWork, *, customer_id: str, amount: int, currency: str | None = None) -> Wallet:
    """Add money to a wallet. The caller validates the amount's range; the wallet's cap is checked here."""
    wallet = _locked_wallet(uow, customer_id)
    if wallet is None:
        raise NotFound("no wallet for this customer", code="wallet_not_found")
    if currency is not None and currency != wallet.currency:
        raise Unprocessable(f"the wallet holds {wallet.currency}, not {currency}", code=CURRENCY_MISMATCH)
    if wallet.balance + amount > MAX_BALANCE:
        raise Unprocessable(
            f"a wallet holds at most {MAX_BALANCE} minor units",
            code="balance_limit",
            details={"balance": wallet.balance, "max": MAX_BALANCE},
        )
    wallet.balance += amount
    wallet.updated_at = datetime.now(UTC)
    return wallet


# -- charges ------------------------------------------------------------------------


def refusal(*, balance: int, wallet_currency: str, amount: int, currency: str) -> str | None:
    """Why a charge cannot be captured, or None when it can. Pure: no database."""
    if amount < 0:
        return INVALID_AMOUNT  # a "charge" must never credit a wallet (zero is a no-op capture)
    if currency != wallet_currency:
        return CURRENCY_MISMATCH
    if amount > balance:
        return INSUFFICIENT_FUNDS
    return None


def remember_order(uow: UnitOfWork, *, order_id: str, customer_id: str, total: int, currency: str) -> Payment | None:
    """Record an order's total from OrderPlaced; charge it if inventory already reserved its stock.

    The first copy wins: a later copy of OrderPlaced changes nothing. Returns
    the order's payment once its stock is reserved too, else None (then
    `charge_order` charges when StockReserved arrives).
    """
    order = _locked_order(uow, order_id)
    if not order.known:
        order.customer_id = customer_id
        order.total = int(total)
        order.currency = currency
    return _charge_if_ready(uow, order)


def charge_order(uow: UnitOfWork, *, order_id: str) -> Payment | None:
    """Record StockReserved for an order; charge its cached total if OrderPlaced already arrived.

    StockReserved may arrive before its OrderPlaced (SQS keeps no order between
    producers): then it is only recorded, nothing is charged and None is
    returned, and `remember_order` charges when OrderPlaced arrives. The amount
    always comes from our copy of OrderPlaced.
    """
    order = _locked_order(uow, order_id)
    if order.stock_reserved_at is None:
        order.stock_reserved_at = datetime.now(UTC)
    return _charge_if_ready(uow, order)


def _locked_order(uow: UnitOfWork, order_id: str) -> OrderTotal:
    """The order's charge progress, locked; created empty by the first of its two events.

    FOR UPDATE makes OrderPlaced and StockReserved of one order wait for each
    other on PostgreSQL (SQLite serialises the whole transaction), so the
    second one always sees what the first one recorded. A row that does not
    exist yet cannot be locked: when two processes insert it concurrently, the
    second insert fails on the primary key, its transaction rolls back, and
    the consumer retries that message, which then finds the row.
    """
    order = uow.session.scalar(
        select(OrderTotal)
        .where(OrderTotal.order_id == order_id)
        .with_for_update()
        # The values as locked, not as this session may have read them before the lock.
        .execution_options(populate_existing=True)
    )
    if order is None:
        order = OrderTotal(order_id=order_id, created_at=datetime.now(UTC))
        uow.session.add(order)
        uow.session.flush()  # a concurrent insert of the same order fails here
    return order


def _charge_if_ready(uow: UnitOfWork, order: OrderTotal) -> Payment | None:
    if not order.known or order.stock_reserved_at is None:
        return None
    # Both handlers, and every copy of their events, end here once both facts
    # are in: `_charge` finds an earlier payment by its charge key, so the
    # order is still charged once.
    return _charge(
        uow,
        charge_key=f"order:{order.order_id}",
        customer_id=order.customer_id,
        amount=order.total,
        currency=order.currency,
        purpose=Purpose.ORDER,
        order_id=order.order_id,
    )


def charge_subscription(
    uow: UnitOfWork, *, subscription_id: str, request_id: str, customer_id: str, amount: int, currency: str
) -> Payment:
    """Charge one upgrade request; `request_id` tells two requests of one subscription apart."""
    return _charge(
        uow,
        charge_key=f"subscription:{request_id}",
        customer_id=customer_id,
        amount=amount,
        currency=currency,
        purpose=Purpose.SUBSCRIPTION,
        subscription_id=subscription_id,
        request_id=request_id,
    )


def _charge(
    uow: UnitOfWork,
    *,
    charge_key: str,
    customer_id: str,
    amount: int,
    currency: str,
    purpose: str,
    order_id: str | None = None,
    subscription_id: str | None = None,
    request_id: str | None = None,
) -> Payment:
    # Lock first, then look for an earlier payment: a concurrent copy of the
    # same request waits here and then finds the payment the first one made.
    wallet = _locked_wallet(uow, customer_id)
    if wallet is None:
        raise NotYetKnown(f"no wallet for customer {customer_id} yet (UserRegistered not applied)")
    existing = uow.session.scalar(select(Payment).where(Payment.charge_key == charge_key))
    if existing is not None:
        log.info("charge %s was already applied as payment %s", charge_key, existing.id)
        return existing
    now = datetime.now(UTC)
    reason = refusal(
        balance=wallet.balance, wallet_currency=wallet.currency, amount=amount, currency=currency
    )
    payment = Payment(
        id=str(uuid.uuid4()),
        charge_key=charge_key,
        customer_id=customer_id,
        purpose=purpose,
        order_id=order_id,
        subscription_id=subscription_id,
        request_id=request_id,
        amount=amount,
        currency=currency,
        status=PaymentStatus.FAILED if reason else PaymentStatus.CAPTURED,
        reason=reason,
        created_at=now,
    )
    if reason is None:
        wallet.balance -= amount
        wallet.updated_at = now
    uow.session.add(payment)
    uow.publish(
        "PaymentFailed" if reason else "PaymentCaptured",
        payment_event_data(payment),
        aggregate_id=f"wallet:{customer_id}",
    )
    return payment


def payment_event_data(payment: Payment) -> dict:
    data: dict = {
        "paymentId": payment.id,
        "purpose": payment.purpose,
        "customerId": payment.customer_id,
        "amount": payment.amount,
        "currency": payment.currency,
    }
    if payment.purpose == Purpose.ORDER:
        data["orderId"] = payment.order_id
    else:
        data["subscriptionId"] = payment.subscription_id
        data["requestId"] = payment.request_id
    if payment.reason:
        data["reason"] = payment.reason
    return data


# -- reading payments ---------------------------------------------------------------


def list_payments(
    uow: UnitOfWork,
    *,
    customer_id: str | None,
    purpose: str | None = None,
    order_id: str | None = None,
    subscription_id: str | None = None,
    limit: int = 100,
) -> list[Payment]:
    """Newest first; `customer_id=None` means every customer's (admins only)."""
    query = select(Payment)
    if customer_id is not None:
        query = query.where(Payment.customer_id == customer_id)
    if purpose is not None:
        query = query.where(Payment.purpose == purpose)
    if order_id is not None:
        query = query.where(Payment.order_id == order_id)
    if subscription_id is not None:
        query = query.where(Payment.subscription_id == subscription_id)
    query = query.order_by(Payment.created_at.desc(), Payment.id).limit(limit)
    return list(uow.session.scalars(query))


def get_payment(uow: UnitOfWork, *, payment_id: str) -> Payment | None:
    return uow.session.get(Payment, payment_id)
