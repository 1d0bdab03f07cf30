"""Inventory's tables: products (with the stock still available) and reservations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from causeway.db import UtcDateTime, new_metadata


class Base(DeclarativeBase):
    metadata = new_metadata()


class Product(Base):
    __tablename__ = "products"
    # The database refuses a negative stock even if the domain logic had a bug.
    __table_args__ = (CheckConstraint("stock >= 0", name="stock_not_negative"),)

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_price: Mapped[int] = mapped_column(Integer)  # minor units
    currency: Mapped[str] = mapped_column(String(3))
    # What can still be ordered: a reservation takes its quantity out of it,
    # a release puts it back, a capture leaves it out for good.
    stock: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReservationStatus:
    RESERVED = "RESERVED"  # stock held, waiting for the payment
    COMMITTED = "COMMITTED"  # paid: the stock is gone for good
    RELEASED = "RELEASED"  # payment failed: the stock went back
    REJECTED = "REJECTED"  # not enough stock: nothing was held

    FINAL = frozenset({COMMITTED, RELEASED, REJECTED})


class Reservation(Base):
    """One per order, whatever the outcome, so a redelivered order is never reserved twice."""

    __tablename__ = "reservations"

    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    lines: Mapped[list[ReservationLine]] = relationship(
        back_populates="reservation", cascade="all, delete-orphan", order_by="ReservationLine.sku"
    )


class ReservationLine(Base):
    __tablename__ = "reservation_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    order_id: Mapped[str] = mapped_column(ForeignKey("reservations.order_id"), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)

    reservation: Mapped[Reservation] = relationship(back_populates="lines")
