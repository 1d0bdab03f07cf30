"""Billing's tables: wallets, payments, and the orders it will charge (total, stock reserved)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from causeway.db import UtcDateTime, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class Wallet(Base):
    """One per customer. Money is integer minor units of `currency`."""

    __tablename__ = "wallets"
    # The database refuses a negative balance even if the domain logic had a bug.
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PaymentStatus:
    CAPTURED = "CAPTURED"
    FAILED = "FAILED"


class Purpose:
    ORDER = "order"
    SUBSCRIPTION = "subscription"


class Payment(Base):
    """The outcome of one charge, captured or failed.

    `charge_key` names what is being paid for (an order, or one subscription
    upgrade request) and is unique: whatever copies of a charge request
    arrive, with whatever event ids, the charge is applied once.
    """

    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    charge_key: Mapped[str] = mapped_column(String(200), unique=True)
    customer_id: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    subscription_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class OrderTotal(Base):
    """An order's charge progress: its total from OrderPlaced, and whether inventory reserved its stock.

    SQS keeps no order between producers, so either fact may arrive first; the
    row is created by whichever does, and the order is charged once both are
    in. `customer_id`, `total` and `currency` are NULL until OrderPlaced
    arrives (first copy wins, later copies change nothing); `stock_reserved_at`
    is NULL until StockReserved arrives (set once).

    A local copy of other services' facts: rebuilt by replaying OrderPlaced and
    StockReserved in any order (an order charged before is found by its
    payment's `charge_key` and not charged again).
    """

    __tablename__ = "order_totals"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    total: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    stock_reserved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # When the first of the two facts arrived.
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    @property
    def known(self) -> bool:
        """OrderPlaced arrived: the customer, total and currency are set."""
        return self.total is not None
