"""What each message says. Pure functions: no database, no I/O.

Every message names the customer when notifications has heard of them
(UserRegistered), and falls back to a plain greeting otherwise, since events
of one customer may arrive in any order.
"""

from __future__ import annotations

from dataclasses import dataclass

WELCOME = "welcome"
ORDER_CONFIRMED = "order-confirmed"
ORDER_CANCELLED = "order-cancelled"
SUBSCRIPTION_UPGRADED = "subscription-upgraded"
SUBSCRIPTION_UPGRADE_FAILED = "subscription-upgrade-failed"

# Minor units per major unit differ by currency (ISO 4217); two is the common case.
_EXPONENTS = {
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
}

_REASONS = {
    "insufficient_funds": "your wallet did not hold enough money",
    "out_of_stock": "some items are out of stock",
}


@dataclass(frozen=True)
class Message:
    kind: str
    subject: str
    body: str


def format_money(amount: int, currency: str) -> str:
    """1234 USD → "12.34 USD"; 1234 JPY → "1234 JPY"."""
    exponent = _EXPONENTS.get(currency, 2)
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(amount), 10**exponent)
    return f"{sign}{major}.{minor:0{exponent}d} {currency}" if exponent else f"{sign}{major} {currency}"


def explain(reason: str) -> str:
    """A sentence for a reason code, keeping the code itself for reference."""
    text = _REASONS.get(reason)
    return f"{text} ({reason})" if text else reason


def _hello(name: str | None) -> str:
    return f"Hi {name}," if name else "Hello,"


def _short(identifier: str) -> str:
    return identifier[:8]


def welcome(*, name: str | None, email: str | None) -> Message:
    address = f" as {email}" if email else ""
    return Message(
        WELCOME,
        "Welcome to Causeway",
        f"{_hello(name)} welcome to Causeway! You are registered{address}, on the free plan, "
        "and your wallet is ready for your first order.",
    )


def order_confirmed(*, name: str | None, order_id: str, total: int | None, currency: str | None) -> Message:
    paid = f" You paid {format_money(total, currency)}." if total is not None and currency else ""
    return Message(
        ORDER_CONFIRMED,
        f"Order {_short(order_id)} confirmed",
        f"{_hello(name)} your order {order_id} is confirmed.{paid}",
    )


def order_cancelled(*, name: str | None, order_id: str, reason: str) -> Message:
    return Message(
        ORDER_CANCELLED,
        f"Order {_short(order_id)} cancelled",
        f"{_hello(name)} your order {order_id} was cancelled: {explain(reason)}. Nothing was charged.",
    )


def subscription_upgraded(*, name: str | None, plan: str) -> Message:
    return Message(
        SUBSCRIPTION_UPGRADED,
        f"You are now on the {plan} plan",
        f"{_hello(name)} your subscription was upgraded to the {plan} plan. Enjoy!",
    )


def subscription_upgrade_failed(
    *, name: str | None, plan: str, requested_plan: str | None, reason: str
) -> Message:
    wanted = f" to the {requested_plan} plan" if requested_plan else ""
    return Message(
        SUBSCRIPTION_UPGRADE_FAILED,
        "Your upgrade did not go through",
        f"{_hello(name)} your upgrade{wanted} failed: {explain(reason)}. "
        f"You stay on the {plan} plan and nothing was charged.",
    )
