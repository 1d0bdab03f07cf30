"""The order choreography end to end: real LocalStack, real processes, deadlines instead of sleeps.

POST /orders → OrderPlaced → inventory reserves all lines or none → billing
charges → orders confirms or cancels → inventory releases on a failed payment →
notifications tells the customer.

alice's scenario is the contract's demo and runs first on her account; every
other scenario uses freshly registered customers and products of its own, so
the tests do not depend on each other or on the order they run in.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import httpx
import pytest

from tests.support.api import Api
from tests.support.catalogue import in_orders_catalogue, inventory_admin, new_product, stock_of
from tests.support.people import new_customer, ready, sign_in
from tests.support.polling import within

T = TypeVar("T")

FLOW_SERVICES = ("identity", "orders", "inventory", "billing", "notifications")
SETTLE_SECONDS = 5.0  # the contract's deadline for an order to settle
OPENING_BALANCE = 10_000


@pytest.fixture(scope="module", autouse=True)
def flow_services(api: Api) -> None:
    api.require(FLOW_SERVICES, flow="the order flow")


@pytest.fixture(scope="module")
def admin_inventory(api: Api) -> httpx.Client:
    """One admin token for the module's products and the admin-only checks."""
    return inventory_admin(api)


def all_at_once(calls: list[Callable[[], T]]) -> list[T]:
    """Run the calls in parallel threads released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


# -- the contract's demo: alice buys two books ---------------------------------------------


def test_alice_orders_two_books_and_it_is_confirmed_within_five_seconds(api):
    # First in this module and the only test that touches alice: measured as
    # deltas all the same, so it also holds if another module used her wallet.
    # On a fresh stack the numbers are the contract's: 10000 → 7600, 100 → 98.
    alice = ready(sign_in(api, "alice@example.com"))
    wallet_before = alice.balance()
    stock_before = stock_of(api, "SKU-BOOK")
    in_orders_catalogue(api, "SKU-BOOK", timeout=10)

    deadline = time.monotonic() + SETTLE_SECONDS
    placed = alice.place(("SKU-BOOK", 2))
    assert placed["status"] == "PENDING"
    assert (placed["total"], placed["currency"]) == (2400, "USD")

    confirmed = alice.settled(placed["id"], deadline=deadline)
    assert confirmed["status"] == "CONFIRMED", confirmed
    assert confirmed["cancellationReason"] is None
    within(deadline, lambda: alice.balance() == wallet_before - 2400)
    within(deadline, lambda: stock_of(api, "SKU-BOOK") == stock_before - 2)
    alice.notified("order-confirmed", placed["id"], deadline=deadline)
    if wallet_before == OPENING_BALANCE:
        assert alice.balance() == 7600
    [payment] = alice.payments_for(placed["id"])
    assert (payment["amount"], payment["status"]) == (2400, "CAPTURED")


# -- cancellations ---------------------------------------------------------------------------


def test_an_order_larger_than_the_wallet_is_cancelled_and_the_stock_comes_back(api, admin_inventory):
    shopper = new_customer(api)
    sku = new_product(api, admin_inventory, stock=10, price=6000)

    deadline = time.monotonic() + SETTLE_SECONDS
    placed = shopper.place((sku, 2))  # 12000 > 10000
    cancelled = shopper.settled(placed["id"], deadline=deadline)
    assert (cancelled["status"], cancelled["cancellationReason"]) == ("CANCELLED", "insufficient_funds")
    within(deadline, lambda: stock_of(api, sku) == 10)  # reserved, then released
    shopper.notified("order-cancelled", placed["id"], deadline=deadline)
    assert shopper.balance() == OPENING_BALANCE
    assert [p["status"] for p in shopper.payments_for(placed["id"])] in ([], ["FAILED"])


def test_an_order_for_more_than_the_stock_is_cancelled_and_nothing_is_charged(api, admin_inventory):
    shopper = new_customer(api)
    plenty = new_product(api, admin_inventory, stock=50, price=100)
    scarce = new_product(api, admin_inventory, stock=2, price=100)

    deadline = time.monotonic() + SETTLE_SECONDS
    placed = shopper.place((plenty, 1), (scarce, 3))  # one line short: none is reserved
    cancelled = shopper.settled(placed["id"], deadline=deadline)
    assert (cancelled["status"], cancelled["cancellationReason"]) == ("CANCELLED", "out_of_stock")
    shopper.notified("order-cancelled", placed["id"], deadline=deadline)
    assert (stock_of(api, plenty), stock_of(api, scarce)) == (50, 2)
    assert shopper.payments_for(placed["id"]) == []
    assert shopper.balance() == OPENING_BALANCE


# -- concurrency -----------------------------------------------------------------------------


def test_two_orders_that_together_exceed_the_stock_never_both_reserve_it(api, admin_inventory):
    sku = new_product(api, admin_inventory, stock=3, price=100)
    first, second = new_customer(api), new_customer(api)

    deadline = time.monotonic() + SETTLE_SECONDS
    orders = all_at_once([lambda: first.place((sku, 2)), lambda: second.place((sku, 2))])
    outcomes = sorted(
        (who.settled(o["id"], deadline=deadline)["status"], who.order(o["id"])["cancellationReason"])
        for who, o in zip((first, second), orders, strict=True)
    )
    assert outcomes == [("CANCELLED", "out_of_stock"), ("CONFIRMED", None)]
    assert stock_of(api, sku) == 1
    paid = sum(len(who.payments_for(o["id"])) for who, o in zip((first, second), orders, strict=True))
    assert paid == 1


def test_a_burst_of_orders_sells_exactly_the_stock(api, admin_inventory):
    sku = new_product(api, admin_inventory, stock=5, price=100)
    shoppers = [new_customer(api) for _ in range(2)]
    buyers = [shoppers[i % 2] for i in range(8)]

    deadline = time.monotonic() + 2 * SETTLE_SECONDS
    orders = all_at_once([lambda who=who: who.place((sku, 1)) for who in buyers])
    statuses = [who.settled(o["id"], deadline=deadline)["status"] for who, o in zip(buyers, orders, strict=True)]
    assert sorted(statuses) == ["CANCELLED"] * 3 + ["CONFIRMED"] * 5
    assert stock_of(api, sku) == 0


def test_two_orders_that_together_exceed_the_wallet_never_both_capture(api, admin_inventory):
    shopper = new_customer(api)
    sku = new_product(api, admin_inventory, stock=10, price=6000)

    # Watch the balance while both orders race; it must never dip below zero.
    lowest = [OPENING_BALANCE]
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.02):  # a sampling interval, not a wait for an outcome
            lowest[0] = min(lowest[0], shopper.balance())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        deadline = time.monotonic() + SETTLE_SECONDS
        orders = all_at_once([lambda: shopper.place((sku, 1)), lambda: shopper.place((sku, 1))])
        settled = [shopper.settled(o["id"], deadline=deadline) for o in orders]
    finally:
        done.set()
        watcher.join(5)
    outcomes = sorted((o["status"], o["cancellationReason"]) for o in settled)
    assert outcomes == [("CANCELLED", "insufficient_funds"), ("CONFIRMED", None)]
    assert shopper.balance() == OPENING_BALANCE - 6000
    assert lowest[0] >= 0
    captured = [p for o in orders for p in shopper.payments_for(o["id"]) if p["status"] == "CAPTURED"]
    assert len(captured) == 1
    within(time.monotonic() + SETTLE_SECONDS, lambda: stock_of(api, sku) == 9)  # the unpaid one is released


# -- prices come from orders' own catalogue cache ---------------------------------------------


def test_a_price_change_reaches_orders_through_events(api, admin_inventory):
    shopper = new_customer(api)
    sku = new_product(api, admin_inventory, stock=10, price=500)
    response = admin_inventory.put(
        f"/products/{sku}", json={"name": "Repriced", "unitPrice": 650, "currency": "USD", "stock": 10}
    )
    assert response.status_code == 200, response.text
    in_orders_catalogue(api, sku, price=650)
    placed = shopper.place((sku, 2))
    assert (placed["total"], placed["items"]) == (1300, [{"sku": sku, "quantity": 2, "unitPrice": 650}])


# -- access -----------------------------------------------------------------------------------


def test_customers_see_only_their_own_orders_and_admins_see_all(api, admin_inventory):
    sku = new_product(api, admin_inventory, stock=10, price=100)
    owner, other = new_customer(api), new_customer(api)
    mine, theirs = owner.place((sku, 1)), other.place((sku, 1))

    not_found = other.client("orders").get(f"/orders/{mine['id']}")
    assert not_found.status_code == 404
    assert not_found.json()["error"]["code"] == "order_not_found"
    assert [o["id"] for o in other.client("orders").get("/orders").json()] == [theirs["id"]]
    listed = owner.client("orders").get("/orders").json()
    assert [o["id"] for o in listed] == [mine["id"]] and listed[0]["customerId"] == owner.id

    admin = api.as_user("orders", "admin@example.com")
    assert admin.get(f"/orders/{mine['id']}").json()["customerId"] == owner.id
    everyone = {o["id"] for o in admin.get("/orders").json()}
    assert {mine["id"], theirs["id"]} <= everyone
    assert [o["id"] for o in admin.get("/orders", params={"customerId": other.id}).json()] == [theirs["id"]]

    assert api.client("orders").get("/orders").status_code == 401
    assert api.client("orders").get(f"/orders/{mine['id']}").status_code == 401
    assert owner.client("orders").get("/orders/not-an-order").status_code == 404


def test_only_admins_change_products(api, admin_inventory):
    sku = f"SKU-T{uuid.uuid4().hex[:10].upper()}"
    body = {"name": "Nope", "unitPrice": 100, "currency": "USD", "stock": 1}
    as_customer = api.as_user("inventory", "bob@example.com").put(f"/products/{sku}", json=body)
    assert as_customer.status_code == 403 and as_customer.json()["error"]["code"]
    assert api.client("inventory").put(f"/products/{sku}", json=body).status_code == 401
    for bad in [
        {**body, "unitPrice": -1},
        {**body, "unitPrice": "100"},
        {**body, "stock": -1},
        {**body, "stock": 1.5},
        {**body, "currency": "usd"},
        {**body, "name": ""},
        {k: v for k, v in body.items() if k != "name"},
    ]:
        response = admin_inventory.put(f"/products/{sku}", json=bad)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["error"]["code"] == "invalid_request"
    assert api.client("inventory").get(f"/products/{sku}").status_code == 404  # nothing was written
    assert sku not in {p["sku"] for p in api.client("inventory").get("/products").json()}


# -- bad input ----------------------------------------------------------------------------------


def test_bad_orders_are_refused_and_nothing_is_written(api, admin_inventory):
    usd = new_product(api, admin_inventory, stock=10, price=100)
    eur = new_product(api, admin_inventory, stock=10, price=100, currency="EUR")
    shopper = new_customer(api)
    orders = shopper.client("orders")

    def line(sku: str = usd, quantity: object = 1) -> dict:
        return {"sku": sku, "quantity": quantity}

    cases = {
        "unknown sku": ({"items": [line("SKU-DOES-NOT-EXIST")]}, "unknown_sku"),
        "zero": ({"items": [line(quantity=0)]}, "invalid_request"),
        "negative": ({"items": [line(quantity=-1)]}, "invalid_request"),
        "absurd": ({"items": [line(quantity=1001)]}, "invalid_request"),
        "absurd in two lines": ({"items": [line(quantity=600), line(quantity=600)]}, "invalid_quantity"),
        "fractional": ({"items": [line(quantity=1.5)]}, "invalid_request"),
        "text": ({"items": [line(quantity="2")]}, "invalid_request"),
        "empty": ({"items": []}, "invalid_request"),
        "no items": ({}, "invalid_request"),
        "no sku": ({"items": [{"quantity": 1}]}, "invalid_request"),
        "client price": ({"items": [{**line(), "unitPrice": 1}]}, "invalid_request"),
        "mixed currencies": ({"items": [line(usd), line(eur)]}, "mixed_currencies"),
    }
    for name, (body, code) in cases.items():
        response = orders.post("/orders", json=body)
        assert response.status_code == 422, (name, response.text)
        assert response.json()["error"]["code"] == code, (name, response.json())
    not_json = orders.post("/orders", content=b"{not json", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 422

    assert orders.get("/orders").json() == []
    assert shopper.client("billing").get("/payments").json() == []
    assert (stock_of(api, usd), stock_of(api, eur)) == (10, 10)
