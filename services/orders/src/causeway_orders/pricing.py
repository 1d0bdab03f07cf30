"""What an order costs: pure functions, no database.

Prices are the catalogue's unit prices in integer minor units. A plan's
discount is a percentage of the subtotal, rounded half up to a whole minor
unit: a pro customer's 1 x 800 costs 800 - 80 = 720.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

PLAN_DISCOUNT_PERCENT: Mapping[str, int] = {"free": 0, "pro": 10}
DEFAULT_PLAN = "free"


class PricingError(ValueError):
    def __init__(self, code: str, message: str, details: object = None) -> None:
        super().__init__(message)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class PricedLine:
    sku: str
    quantity: int
    unit_price: int


@dataclass(frozen=True)
class Quote:
    lines: tuple[PricedLine, ...]
    subtotal: int
    discount: int
    total: int
    currency: str
    plan: str


@dataclass(frozen=True)
class Price:
    unit_price: int
    currency: str


def discount_for(subtotal: int, plan: str) -> int:
    percent = PLAN_DISCOUNT_PERCENT.get(plan, 0)
    return (subtotal * percent + 50) // 100  # half up, in integers: no float rounding


def merge_lines(items: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Quantity per sku in first-seen order; a sku named twice is one line."""
    merged: dict[str, int] = {}
    for sku, quantity in items:
        merged[sku] = merged.get(sku, 0) + quantity
    return merged


def quote(
    items: Iterable[tuple[str, int]],
    *,
    prices: Mapping[str, Price],
    plan: str,
    max_quantity: int,
) -> Quote:
    """Price the items; raises PricingError for unknown skus, too much, or mixed currencies."""
    merged = merge_lines(items)
    if not merged:
        raise PricingError("empty_order", "an order needs at least one item")
    unknown = [sku for sku in merged if sku not in prices]
    if unknown:
        raise PricingError("unknown_sku", f"unknown sku: {', '.join(unknown)}", {"skus": unknown})
    too_many = [sku for sku, quantity in merged.items() if not 0 < quantity <= max_quantity]
    if too_many:
        raise PricingError(
            "invalid_quantity",
            f"quantity per sku must be between 1 and {max_quantity}: {', '.join(too_many)}",
            {"skus": too_many},
        )
    currencies = sorted({prices[sku].currency for sku in merged})
    if len(currencies) > 1:
        raise PricingError(
            "mixed_currencies",
            f"all items of an order must share one currency, got {', '.join(currencies)}",
            {"currencies": currencies},
        )
    lines = tuple(PricedLine(sku, quantity, prices[sku].unit_price) for sku, quantity in merged.items())
    subtotal = sum(line.quantity * line.unit_price for line in lines)
    discount = discount_for(subtotal, plan)
    return Quote(
        lines=lines,
        subtotal=subtotal,
        discount=discount,
        total=subtotal - discount,
        currency=currencies[0],
        plan=plan,
    )
