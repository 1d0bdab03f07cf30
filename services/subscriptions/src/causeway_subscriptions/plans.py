"""The plans a customer can be on. Pure data: no database.

Subscriptions owns the catalogue of plans and what an upgrade costs. The
discount itself is applied by orders (from its local plan cache); it is
listed here, and carried on the subscription events, so customers and other
services can read it without asking.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    name: str
    rank: int  # upgrades only go up
    upgrade_price: int  # minor units of `currency` charged to move onto this plan
    currency: str
    discount_percent: int  # off every order
    description: str


FREE = Plan("free", 0, 0, "USD", 0, "Everything, at list prices.")
PRO = Plan("pro", 1, 1500, "USD", 10, "10 % off every order.")

PLANS: dict[str, Plan] = {plan.name: plan for plan in (FREE, PRO)}
DEFAULT_PLAN = FREE


def find(name: str) -> Plan | None:
    return PLANS.get(name)
