"""Subscriptions' domain: start on registration, upgrade through a payment.

An upgrade is a small choreography: the request marks the subscription as
pending and asks for a charge (SubscriptionUpgradeRequested); billing answers
with PaymentCaptured or PaymentFailed, and only then does the plan change
(SubscriptionUpgraded) or stay (SubscriptionUpgradeFailed). The subscription
row is locked while it is read and changed, so two concurrent requests cannot
both start an upgrade.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from causeway.errors import Conflict, NotFound, Unprocessable
from causeway.uow import UnitOfWork
from causeway_subscriptions import plans
from causeway_subscriptions.models import Subscription, SubscriptionStatus, UpgradeRequest, UpgradeStatus

log = logging.getLogger("causeway.subscriptions")


class UnknownSubscription(LookupError):
    """A payment names a subscription this service never created: it can only dead-letter."""


# -- reading ------------------------------------------------------------------------


def subscription_of(uow: UnitOfWork, *, customer_id: str) -> Subscription:
    subscription = uow.session.scalar(select(Subscription).where(Subscription.customer_id == customer_id))
    if subscription is None:
        raise NotFound("no subscription for this customer", code="subscription_not_found")
    return subscription


def get_subscription(uow: UnitOfWork, *, subscription_id: str) -> Subscription | None:
    return uow.session.get(Subscription, subscription_id)


def list_subscriptions(uow: UnitOfWork, *, customer_id: str | None, limit: int = 100) -> list[Subscription]:
    query = select(Subscription)
    if customer_id is not None:
        query = query.where(Subscription.customer_id == customer_id)
    return list(uow.session.scalars(query.order_by(Subscription.created_at.desc(), Subscription.id).limit(limit)))


def upgrades_of(uow: UnitOfWork, *, subscription_id: str) -> list[UpgradeRequest]:
    return list(
        uow.session.scalars(
            select(UpgradeRequest)
            .where(UpgradeRequest.subscription_id == subscription_id)
            .order_by(UpgradeRequest.created_at.desc(), UpgradeRequest.id)
        )
    )


# -- starting -----------------------------------------------------------------------


def _event_data(subscription: Subscription, plan: plans.Plan, **extra: object) -> dict:
    return {
        "subscriptionId": subscription.id,
        "customerId": subscription.customer_id,
        "plan": plan.name,
        "discountPercent": plan.discount_percent,
        **extra,
    }


def start(uow: UnitOfWork, *, customer_id: str) -> Subscription:
    """Every new customer starts on the free plan; a second UserRegistered changes nothing."""
    existing = uow.session.scalar(select(Subscription).where(Subscription.customer_id == customer_id))
    if existing is not None:
        return existing
    now = datetime.now(UTC)
    subscription = Subscription(
        id=str(uuid.uuid4()),
        customer_id=customer_id,
        plan=plans.DEFAULT_PLAN.name,
        status=SubscriptionStatus.ACTIVE,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(subscription)
    uow.publish("SubscriptionStarted", _event_data(subscription, plans.DEFAULT_PLAN), aggregate_id=subscription.id)
    return subscription


# -- upgrading ----------------------------------------------------------------------


def _unknown_plan(name: str) -> Unprocessable:
    return Unprocessable(
        f"unknown plan {name!r}; plans are {', '.join(plans.PLANS)}",
        code="unknown_plan",
        details={"plans": list(plans.PLANS)},
    )


def check_upgrade(*, current: str, pending: str | None, target: str) -> plans.Plan:
    """The plan to move to, or the reason the request is refused. Pure: no database."""
    plan = plans.find(target)
    if plan is None:
        raise _unknown_plan(target)
    if pending is not None:
        raise Conflict(f"an upgrade to {pending!r} is already pending", code="upgrade_pending")
    if target == current:
        raise Conflict(f"the subscription is already on {target!r}", code="already_on_plan")
    current_plan = plans.find(current) or plans.DEFAULT_PLAN
    if plan.rank < current_plan.rank:
        raise Conflict(f"{target!r} is not an upgrade from {current!r}", code="not_an_upgrade")
    return plan


def request_upgrade(uow: UnitOfWork, *, customer_id: str, plan: str) -> UpgradeRequest:
    """Ask billing for the upgrade's price; the plan changes only once it is paid."""
    if plans.find(plan) is None:  # refuse before touching (and locking) anything
        raise _unknown_plan(plan)
    subscription = uow.session.scalar(
        select(Subscription).where(Subscription.customer_id == customer_id).with_for_update()
    )
    if subscription is None:
        raise NotFound("no subscription for this customer", code="subscription_not_found")
    target = check_upgrade(current=subscription.plan, pending=subscription.pending_plan, target=plan)
    now = datetime.now(UTC)
    request = UpgradeRequest(
        id=str(uuid.uuid4()),
        subscription_id=subscription.id,
        customer_id=customer_id,
        from_plan=subscription.plan,
        to_plan=target.name,
        amount=target.upgrade_price,
        currency=target.currency,
        status=UpgradeStatus.PENDING,
        created_at=now,
    )
    uow.session.add(request)
    subscription.pending_plan = target.name
    subscription.pending_request_id = request.id
    subscription.updated_at = now
    uow.publish(
        "SubscriptionUpgradeRequested",
        {
            "subscriptionId": subscription.id,
            "customerId": customer_id,
            "fromPlan": request.from_plan,
            "toPlan": request.to_plan,
            "amount": request.amount,
            "currency": request.currency,
            # Billing charges once per request id, so a retried request is never paid twice.
            "requestId": request.id,
        },
        aggregate_id=subscription.id,
    )
    return request


def _pending_request(
    uow: UnitOfWork, *, subscription_id: str, request_id: str | None
) -> tuple[Subscription, UpgradeRequest | None]:
    subscription = uow.session.scalar(select(Subscription).where(Subscription.id == subscription_id).with_for_update())
    if subscription is None:
        raise UnknownSubscription(f"no subscription {subscription_id}")
    request_id = request_id or subscription.pending_request_id
    request = uow.session.get(UpgradeRequest, request_id) if request_id else None
    if request is None or request.subscription_id != subscription.id or request.status != UpgradeStatus.PENDING:
        # Already settled (a second copy of the payment), or not a request of ours.
        log.warning("payment for subscription %s matches no pending upgrade (request %s)", subscription_id, request_id)
        return subscription, None
    return subscription, request


def _settle(subscription: Subscription, request: UpgradeRequest, *, status: str, payment_id: str | None) -> None:
    now = datetime.now(UTC)
    request.status = status
    request.payment_id = payment_id
    request.resolved_at = now
    if subscription.pending_request_id == request.id:
        subscription.pending_plan = None
        subscription.pending_request_id = None
    subscription.updated_at = now


def complete_upgrade(
    uow: UnitOfWork, *, subscription_id: str, request_id: str | None, payment_id: str | None
) -> UpgradeRequest | None:
    """The upgrade was paid: move onto the new plan; emits SubscriptionUpgraded."""
    subscription, request = _pending_request(uow, subscription_id=subscription_id, request_id=request_id)
    if request is None:
        return None
    _settle(subscription, request, status=UpgradeStatus.COMPLETED, payment_id=payment_id)
    plan = plans.find(request.to_plan) or plans.DEFAULT_PLAN
    subscription.plan = plan.name
    uow.publish(
        "SubscriptionUpgraded",
        _event_data(subscription, plan, fromPlan=request.from_plan, requestId=request.id),
        aggregate_id=subscription.id,
    )
    return request


def fail_upgrade(
    uow: UnitOfWork, *, subscription_id: str, request_id: str | None, payment_id: str | None, reason: str
) -> UpgradeRequest | None:
    """The upgrade could not be paid: stay on the plan; emits SubscriptionUpgradeFailed."""
    subscription, request = _pending_request(uow, subscription_id=subscription_id, request_id=request_id)
    if request is None:
        return None
    _settle(subscription, request, status=UpgradeStatus.FAILED, payment_id=payment_id)
    request.reason = reason
    plan = plans.find(subscription.plan) or plans.DEFAULT_PLAN
    uow.publish(
        "SubscriptionUpgradeFailed",
        # `plan` is the plan the customer stays on.
        _event_data(subscription, plan, requestedPlan=request.to_plan, reason=reason, requestId=request.id),
        aggregate_id=subscription.id,
    )
    return request
