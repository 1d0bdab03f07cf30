"""Registration end to end, and the rules of billing, subscriptions and notifications' APIs.

UserRegistered (identity) → billing opens a wallet of 10000 USD minor units,
subscriptions starts a free plan, notifications sends a welcome — each in its
own account, through the central bus, within the contract's 5 s.

Every test registers customers of its own, so nothing depends on test order
or on what other modules did to the seeded users.
"""

from __future__ import annotations

import time
from datetime import datetime

import httpx
import pytest

from tests.support.api import Api, ok
from tests.support.people import Person, ready, register, sign_in
from tests.support.polling import eventually, within

SETTLE_SECONDS = 5.0
FLOW_SERVICES = ("identity", "billing", "subscriptions", "notifications")


@pytest.fixture(scope="module", autouse=True)
def flow_services(api: Api) -> None:
    api.require(FLOW_SERVICES, flow="registration")


def settled(person: Person) -> Person:
    """Every effect of registration in place, for tests about something else."""
    return ready(person, subscription=True, welcome=True)


def error_code(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    return body["error"]["code"]


def is_rfc3339_utc(value: str) -> bool:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).utcoffset().total_seconds() == 0


# -- the flow -------------------------------------------------------------------------------


def test_a_new_customer_has_a_wallet_a_free_plan_and_a_welcome_within_five_seconds(api):
    deadline = time.monotonic() + SETTLE_SECONDS
    dana = register(api, prefix="dana", name="Dana Newcomer")

    wallet = within(deadline, dana.wallet)
    assert (wallet["customerId"], wallet["balance"], wallet["currency"]) == (dana.id, 10_000, "USD")

    subscription = within(deadline, dana.subscription)
    assert subscription["customerId"] == dana.id
    assert (subscription["plan"], subscription["status"], subscription["pendingPlan"]) == ("free", "ACTIVE", None)

    [welcome] = within(deadline, lambda: dana.notifications("welcome"))
    assert {"id", "kind", "subject", "body", "createdAt"} <= set(welcome)
    assert "Dana Newcomer" in welcome["body"] and welcome["subject"]
    assert is_rfc3339_utc(welcome["createdAt"])

    assert dana.payments() == []
    assert dana.upgrades() == []


def test_registration_effects_happen_once_per_customer(api):
    erin = settled(register(api, prefix="erin"))
    # Nothing more arrives later: one welcome, one subscription, an untouched wallet.
    assert len(erin.notifications()) == 1
    assert [s["id"] for s in ok(erin.client("subscriptions").get("/subscriptions"))] == [erin.subscription()["id"]]
    assert erin.balance() == 10_000


# -- authentication and object-level access ----------------------------------------------------

PROTECTED = [
    ("billing", "GET", "/wallets/me", None),
    ("billing", "POST", "/wallets/me/top-up", {"amount": 100}),
    ("billing", "GET", "/payments", None),
    ("subscriptions", "GET", "/subscriptions/me", None),
    ("subscriptions", "POST", "/subscriptions/me/upgrade", {"plan": "pro"}),
    ("notifications", "GET", "/notifications", None),
]


@pytest.mark.parametrize(("service", "method", "path", "body"), PROTECTED)
def test_no_token_or_a_bad_token_is_401(api, service, method, path, body):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = httpx.request(method, api.urls[service] + path, json=body, headers=headers)
        assert error_code(response, 401) in {"unauthorized", "invalid_token"}


def test_customers_see_only_their_own_and_admins_see_all(api):
    frank, gina = settled(register(api, prefix="frank")), settled(register(api, prefix="gina"))
    ok(gina.client("subscriptions").post("/subscriptions/me/upgrade", json={"plan": "pro"}), 202)
    [gina_payment] = eventually(lambda: gina.payments(), timeout=SETTLE_SECONDS)
    [gina_welcome] = gina.notifications("welcome")
    gina_subscription = gina.subscription()

    # Another customer's ids are as absent as ids that never existed.
    for service, path, code in [
        ("billing", f"/wallets/{gina.id}", "wallet_not_found"),
        ("billing", f"/payments/{gina_payment['id']}", "payment_not_found"),
        ("subscriptions", f"/subscriptions/{gina_subscription['id']}", "subscription_not_found"),
        ("notifications", f"/notifications/{gina_welcome['id']}", "notification_not_found"),
    ]:
        assert error_code(frank.client(service).get(path), 404) == code
        ok(gina.client(service).get(path))
    assert error_code(frank.client("billing").get("/payments/no-such-payment"), 404) == "payment_not_found"

    # Lists hold the caller's own only, whatever filter is asked for.
    assert frank.payments() == [] and frank.payments(customerId=gina.id) == []
    assert {n["customerId"] for n in frank.notifications()} == {frank.id}
    assert ok(frank.client("notifications").get("/notifications", params={"customerId": gina.id})) == []
    assert [s["customerId"] for s in ok(frank.client("subscriptions").get("/subscriptions"))] == [frank.id]

    admin = sign_in(api, "admin@example.com")
    all_payments = ok(admin.client("billing").get("/payments", params={"limit": 500}))
    assert gina_payment["id"] in {p["id"] for p in all_payments}
    assert ok(admin.client("billing").get("/payments", params={"customerId": gina.id})) == [
        ok(gina.client("billing").get(f"/payments/{gina_payment['id']}"))
    ]
    admin_notifications = ok(admin.client("notifications").get("/notifications", params={"limit": 500}))
    assert {frank.id, gina.id} <= {n["customerId"] for n in admin_notifications}
    assert ok(admin.client("billing").get(f"/wallets/{frank.id}"))["customerId"] == frank.id
    assert ok(admin.client("subscriptions").get(f"/subscriptions/{gina_subscription['id']}"))["customerId"] == gina.id
    assert ok(admin.client("notifications").get(f"/notifications/{gina_welcome['id']}"))["kind"] == "welcome"


# -- bad input -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hank(api) -> Person:
    return settled(register(api, prefix="hank"))


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 0},
        {"amount": -500},
        {"amount": "500"},  # money is an integer, never coerced from text
        {"amount": 12.5},
        {"amount": True},
        {"amount": 10**12},  # absurd
        {"amount": 500, "currency": "EUR"},  # the wallet holds USD
        {"amount": 500, "currency": "dollars"},
        {"amount": 500, "tip": 5},
        {},
        [],
    ],
)
def test_a_bad_top_up_is_422_and_changes_nothing(hank, body):
    response = hank.client("billing").post("/wallets/me/top-up", json=body)
    error_code(response, 422)
    assert hank.balance() == 10_000
    assert hank.payments() == []


def test_a_top_up_adds_to_the_balance(api):
    ivy = settled(register(api, prefix="ivy"))
    topped = ok(ivy.client("billing").post("/wallets/me/top-up", json={"amount": 2_500}))
    assert (topped["balance"], topped["currency"], topped["customerId"]) == (12_500, "USD", ivy.id)
    ok(ivy.client("billing").post("/wallets/me/top-up", json={"amount": 1, "currency": "USD"}))
    assert ivy.balance() == 12_501


def test_a_malformed_body_is_422_not_500(api):
    jo = settled(register(api, prefix="jo"))
    for service, path in [("billing", "/wallets/me/top-up"), ("subscriptions", "/subscriptions/me/upgrade")]:
        response = jo.client(service).post(path, content=b"{not json", headers={"Content-Type": "application/json"})
        error_code(response, 422)
    assert jo.balance() == 10_000 and jo.upgrades() == []
