"""Subscriptions' HTTP API: the caller's subscription and its upgrade; the plan catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from causeway.api import ApiInput, ApiModel
from causeway.auth import Principal, authenticated
from causeway.errors import NotFound
from causeway.service import unit_of_work
from causeway.uow import UnitOfWork
from causeway_subscriptions import plans, service
from causeway_subscriptions.models import Subscription, UpgradeRequest

router = APIRouter()

# The authenticated caller, and a unit of work for the request.
Caller = Annotated[Principal, Depends(authenticated)]
Uow = Annotated[UnitOfWork, Depends(unit_of_work)]



class SubscriptionOut(ApiModel):
    id: str
    customer_id: str
    plan: str
    status: str
    pending_plan: str | None = Field(default=None, description="The plan an upgrade in progress moves to")
    created_at: datetime
    updated_at: datetime


class UpgradeOut(ApiModel):
    id: str
    subscription_id: str
    from_plan: str
    to_plan: str
    amount: int
    currency: str
    status: str = Field(description="PENDING, COMPLETED or FAILED")
    reason: str | None = None
    payment_id: str | None = None
    created_at: datetime
    resolved_at: datetime | None = None


class UpgradeIn(ApiInput):
    plan: str = Field(min_length=1, max_length=64, strict=True, description="The plan to move to, e.g. pro")


class PlanOut(ApiModel):
    name: str
    upgrade_price: int
    currency: str
    discount_percent: int
    description: str


def _subscription(subscription: Subscription) -> dict:
    return SubscriptionOut.model_validate(subscription).model_dump(mode="json", by_alias=True)


def _upgrade(request: UpgradeRequest) -> dict:
    return UpgradeOut.model_validate(request).model_dump(mode="json", by_alias=True)


@router.get("/plans", tags=["plans"], summary="The plans and what moving onto each costs (public)")
def list_plans() -> list[dict]:
    return [PlanOut.model_validate(p).model_dump(by_alias=True) for p in plans.PLANS.values()]


@router.get("/subscriptions/me", tags=["subscriptions"], summary="The caller's subscription")
def my_subscription(principal: Caller, uow: Uow) -> dict:
    return _subscription(service.subscription_of(uow, customer_id=principal.sub))


@router.post(
    "/subscriptions/me/upgrade",
    status_code=202,
    tags=["subscriptions"],
    summary="Upgrade the caller's plan; accepted now, settled once billing has charged",
)
def upgrade(body: UpgradeIn, principal: Caller, uow: Uow) -> dict:
    request = service.request_upgrade(uow, customer_id=principal.sub, plan=body.plan)
    uow.commit()
    subscription = uow.session.get(Subscription, request.subscription_id)  # still in the session: no query
    return {**_subscription(subscription), "upgrade": _upgrade(request)}


@router.get(
    "/subscriptions/me/upgrades",
    tags=["subscriptions"],
    summary="The caller's upgrade requests, newest first",
)
def my_upgrades(principal: Caller, uow: Uow) -> list[dict]:
    subscription = service.subscription_of(uow, customer_id=principal.sub)
    return [_upgrade(r) for r in service.upgrades_of(uow, subscription_id=subscription.id)]


@router.get("/subscriptions", tags=["subscriptions"], summary="The caller's subscriptions (admins: everyone's)")
def list_subscriptions(
    principal: Caller,
    uow: Uow,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict]:
    customer_id = None if principal.is_admin else principal.sub
    return [_subscription(s) for s in service.list_subscriptions(uow, customer_id=customer_id, limit=limit)]


@router.get(
    "/subscriptions/{subscription_id}",
    tags=["subscriptions"],
    summary="One subscription (own, or any for admins)",
)
def get_subscription(subscription_id: str, principal: Caller, uow: Uow) -> dict:
    subscription = service.get_subscription(uow, subscription_id=subscription_id)
    if subscription is None or not principal.can_see(subscription.customer_id):
        raise NotFound("no such subscription", code="subscription_not_found")
    return _subscription(subscription)
