"""The subscription upgrade choreography end to end.

POST /subscriptions/me/upgrade → SubscriptionUpgradeRequested → billing charges
→ PaymentCaptured | PaymentFailed → subscriptions emits SubscriptionUpgraded |
SubscriptionUpgradeFailed → orders' plan cache, identity's plan claim and
notifications each follow, in their own accounts.

bob is seeded and shared, so his scenario is measured from his state; every
other scenario uses customers (and products) of its own.
"""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support import aws, outbox
from tests.support.api import Api, ok
from tests.support.catalogue import new_product
from tests.support.people import Person, claims, ready, register, sign_in
from tests.support.polling import eventually, within

SETTLE_SECONDS = 5.0
UPGRADE_PRICE = 1500
FLOW_SERVICES = ("identity", "billing", "subscriptions", "notifications", "orders", "inventory")


@pytest.fixture(scope="module", autouse=True)
def flow_services(api: Api) -> None:
    api.require(FLOW_SERVICES, flow="the upgrade flow")


def upgrade(person: Person, plan: str = "pro") -> httpx.Response:
    return person.client("subscriptions").post("/subscriptions/me/upgrade", json={"plan": plan})


def settled_on(person: Person, plan: str, *, deadline: float) -> dict:
    def probe() -> dict:
        subscription = person.subscription()
        assert (subscription["plan"], subscription["pendingPlan"]) == (plan, None), subscription
        return subscription

    return within(deadline, probe)


def token_plan(person: Person, plan: str, *, deadline: float) -> None:
    within(deadline, lambda: claims(person.fresh_token()).get("plan") == plan)


def quote(person: Person, sku: str, quantity: int = 1) -> dict:
    return ok(person.client("orders").post("/orders/quote", json={"items": [{"sku": sku, "quantity": quantity}]}))


def subscription_payments(person: Person) -> list[dict]:
    return person.payments(purpose="subscription")


# -- bob upgrades: the contract's demo -----------------------------------------------------------


def test_bob_upgrades_to_pro_and_his_next_mug_costs_720(api):
    bob = ready(sign_in(api, "bob@example.com"), subscription=True)
    if bob.subscription()["plan"] == "pro":
        pytest.skip("bob is already on pro on this stack: the upgrade was shown before")
    if bob.balance() < UPGRADE_PRICE:  # someone spent his money: give him what the upgrade needs
        ok(bob.client("billing").post("/wallets/me/top-up", json={"amount": UPGRADE_PRICE}))
    balance_before = bob.balance()
    payments_before = len(subscription_payments(bob))

    deadline = time.monotonic() + SETTLE_SECONDS
    accepted = ok(upgrade(bob), 202)
    assert (accepted["plan"], accepted["pendingPlan"]) == ("free", "pro")
    assert (accepted["upgrade"]["amount"], accepted["upgrade"]["currency"]) == (UPGRADE_PRICE, "USD")
    # A second request while the first is in flight (or already done) is a conflict.
    assert upgrade(bob).status_code == 409

    subscription = settled_on(bob, "pro", deadline=deadline)
    assert subscription["id"] == accepted["id"]
    within(deadline, lambda: bob.balance() == balance_before - UPGRADE_PRICE)
    if balance_before == 10_000:
        assert bob.balance() == 8_500  # the contract's numbers on a fresh stack
    token_plan(bob, "pro", deadline=deadline)
    within(deadline, lambda: bob.notifications("subscription-upgraded"))
    # orders hears of the plan through the same event: the quote shows the discount.
    within(deadline, lambda: quote(bob, "SKU-MUG")["total"] == 720)

    [payment] = subscription_payments(bob)[: len(subscription_payments(bob)) - payments_before]
    assert (payment["amount"], payment["status"], payment["subscriptionId"]) == (
        UPGRADE_PRICE,
        "CAPTURED",
        subscription["id"],
    )
    assert bob.upgrades()[0]["status"] == "COMPLETED"
    assert upgrade(bob).json()["error"]["code"] == "already_on_plan"

    # His next order of SKU-MUG costs 720 (800 less 10 %), and is charged that.
    balance_after_upgrade = bob.balance()
    order_deadline = time.monotonic() + SETTLE_SECONDS
    placed = bob.place(("SKU-MUG", 1))
    assert (placed["total"], placed["currency"]) == (720, "USD")
    assert bob.settled(placed["id"], deadline=order_deadline)["status"] == "CONFIRMED"
    within(order_deadline, lambda: bob.balance() == balance_after_upgrade - 720)


# -- an upgrade the customer cannot afford ------------------------------------------------------


def spend_down_to(api: Api, person: Person, balance: int) -> None:
    """Leave `balance` in the wallet through a real order of a product priced for it."""
    sku = new_product(api, price=person.balance() - balance, stock=5, timeout=SETTLE_SECONDS)
    deadline = time.monotonic() + SETTLE_SECONDS
    placed = person.place((sku, 1))
    assert person.settled(placed["id"], deadline=deadline)["status"] == "CONFIRMED"
    within(deadline, lambda: person.balance() == balance)


def test_an_upgrade_the_customer_cannot_afford_fails_cleanly_and_leaves_them_on_free(api):
    kim = ready(register(api, prefix="kim", name="Kim"), subscription=True)
    spend_down_to(api, kim, 1_000)

    deadline = time.monotonic() + SETTLE_SECONDS
    accepted = ok(upgrade(kim), 202)
    assert accepted["pendingPlan"] == "pro"

    settled_on(kim, "free", deadline=deadline)
    [attempt] = within(deadline, lambda: [u for u in kim.upgrades() if u["status"] == "FAILED"])
    assert (attempt["reason"], attempt["toPlan"]) == ("insufficient_funds", "pro")
    [failure] = within(deadline, lambda: kim.notifications("subscription-upgrade-failed"))
    assert "insufficient_funds" in failure["body"] and "free" in failure["body"]
    [payment] = subscription_payments(kim)
    assert (payment["status"], payment["reason"], payment["amount"]) == ("FAILED", "insufficient_funds", UPGRADE_PRICE)
    assert kim.balance() == 1_000  # nothing was taken
    assert claims(kim.fresh_token())["plan"] == "free"
    assert kim.notifications("subscription-upgraded") == []
    assert quote(kim, "SKU-MUG")["total"] == 800

    # With the money there, the next request is a new charge and goes through.
    ok(kim.client("billing").post("/wallets/me/top-up", json={"amount": 500}))
    deadline = time.monotonic() + SETTLE_SECONDS
    ok(upgrade(kim), 202)
    settled_on(kim, "pro", deadline=deadline)
    within(deadline, lambda: kim.balance() == 0)
    token_plan(kim, "pro", deadline=deadline)
    assert [p["status"] for p in subscription_payments(kim)] == ["CAPTURED", "FAILED"]


# -- bad requests --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"plan": "free"}, 409, "already_on_plan"),
        ({"plan": "platinum"}, 422, "unknown_plan"),
        ({"plan": "PRO"}, 422, "unknown_plan"),
        ({"plan": ""}, 422, "invalid_request"),
        ({"plan": 5}, 422, "invalid_request"),
        ({}, 422, "invalid_request"),
        ({"plan": "pro", "price": 0}, 422, "invalid_request"),  # the price is never the client's to set
    ],
)
def test_a_bad_upgrade_request_is_refused_and_nothing_is_written(api, body, status, code, lee):
    response = lee.client("subscriptions").post("/subscriptions/me/upgrade", json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert lee.subscription()["pendingPlan"] is None
    assert lee.upgrades() == []


@pytest.fixture(scope="module")
def lee(api: Api) -> Person:
    return ready(register(api, prefix="lee"), subscription=True)


def test_two_concurrent_upgrade_requests_start_one_upgrade(api):
    max_ = ready(register(api, prefix="max"), subscription=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(r.status_code for r in pool.map(lambda _: upgrade(max_), range(2)))
    assert statuses == [202, 409]
    deadline = time.monotonic() + SETTLE_SECONDS
    settled_on(max_, "pro", deadline=deadline)
    within(deadline, lambda: max_.balance() == 10_000 - UPGRADE_PRICE)
    assert len(max_.upgrades()) == 1 and len(subscription_payments(max_)) == 1


# -- idempotency ----------------------------------------------------------------------------------


def outbox_event(stack, service: str, event_type: str, aggregate_id: str) -> str:
    """The exact detail a service's relay sent for the aggregate: there is one."""
    [detail] = [detail for key, detail in outbox.sent(stack, service, event_type) if key == aggregate_id]
    return detail


def test_a_redelivered_charge_request_is_applied_once(api, stack, aws_endpoint):
    nora = ready(register(api, prefix="nora"), subscription=True)
    deadline = time.monotonic() + SETTLE_SECONDS
    subscription_id = ok(upgrade(nora), 202)["id"]
    settled_on(nora, "pro", deadline=deadline)
    within(deadline, lambda: nora.balance() == 10_000 - UPGRADE_PRICE)

    original = outbox_event(stack, "subscriptions", "SubscriptionUpgradeRequested", subscription_id)
    # The same event again (same eventId), as an at-least-once relay may send it ...
    redelivered = original
    # ... and the same request under a new eventId, as a producer retrying it might.
    resent = json.loads(original)
    resent["metadata"]["eventId"] = str(uuid.uuid4())
    # Then a charge request of its own (1 minor unit, unknown to subscriptions, which
    # ignores its payment): once it is applied and the queue is empty, billing has
    # consumed the copies put before it.
    marker = json.loads(json.dumps(resent))
    marker["metadata"]["eventId"] = str(uuid.uuid4())
    marker["data"].update(requestId=str(uuid.uuid4()), amount=1)
    aws.put_events(
        aws_endpoint,
        "subscriptions",
        [("SubscriptionUpgradeRequested", d) for d in (redelivered, redelivered, json.dumps(resent))],
    )
    aws.put_events(aws_endpoint, "subscriptions", [("SubscriptionUpgradeRequested", json.dumps(marker))])

    eventually(lambda: nora.balance() == 10_000 - UPGRADE_PRICE - 1, timeout=SETTLE_SECONDS)
    eventually(lambda: aws.queue_depth(aws_endpoint, "billing") == 0, timeout=SETTLE_SECONDS)
    payments = subscription_payments(nora)
    assert sorted(p["amount"] for p in payments) == [1, UPGRADE_PRICE]
    assert nora.balance() == 10_000 - UPGRADE_PRICE - 1
    assert nora.subscription()["plan"] == "pro" and len(nora.upgrades()) == 1
    assert len(nora.notifications("subscription-upgraded")) == 1
