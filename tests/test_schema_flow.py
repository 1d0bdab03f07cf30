"""Schemas at work on the running stack: a v1 and a v2 producer of OrderPlaced side by side,
POST /orders' new fields, and malformed events dead-lettered at once without disturbing anything else.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from causeway_devstack.processes import free_port
from tests.support import aws, outbox
from tests.support.api import Api, ok
from tests.support.catalogue import in_orders_catalogue, new_product
from tests.support.metrics import metric
from tests.support.people import new_customer
from tests.support.polling import eventually, within

SETTLE_SECONDS = 10.0


def upcasts(api: Api, service: str) -> float:
    return metric(
        api.urls[service], "causeway_events_upcast_total", event_type="OrderPlaced", from_version="1", to_version="2"
    )


def applied_orders(api: Api, service: str) -> float:
    return metric(api.urls[service], "causeway_events_consumed_total", event_type="OrderPlaced", outcome="applied")


def outbox_versions(stack, order_ids: list[str]) -> dict[str, int]:
    """The schemaVersion of each order's OrderPlaced, as the orders relay sent it (read-only)."""
    rows = outbox.sent(stack, "orders", "OrderPlaced")
    wanted = set(order_ids)
    return {key: json.loads(detail)["metadata"]["schemaVersion"] for key, detail in rows if key in wanted}


@pytest.fixture
def orders_v1(stack) -> str:
    """A second orders process, on orders' database, still emitting OrderPlaced v1 (a migration in progress)."""
    port = free_port()
    stack.start_service("orders", instance="orders-v1", port=port, env={"ORDER_PLACED_VERSION": "1"})
    try:
        yield f"http://localhost:{port}"
    finally:
        stack.stop_service("orders-v1")


def test_v1_and_v2_producers_coexist_and_every_consumer_handles_both(api: Api, stack, orders_v1: str):
    person = new_customer(api, prefix="schema-shopper")
    v1_orders = httpx.Client(base_url=orders_v1, headers={"Authorization": f"Bearer {person.token}"}, timeout=10)
    before = {s: (upcasts(api, s), applied_orders(api, s)) for s in ("inventory", "billing")}

    mug = new_product(api, price=800, timeout=SETTLE_SECONDS)
    book = new_product(api, price=1200, timeout=SETTLE_SECONDS)
    address = {"line1": "1 Harbour Street", "city": "Lisbon", "postalCode": "1100-001", "country": "PT"}
    deadline = time.monotonic() + SETTLE_SECONDS
    old = ok(v1_orders.post("/orders", json={"items": [{"sku": mug, "quantity": 1}]}), 202)
    new = person.place((book, 1), channel="mobile", shippingAddress=address)  # through the v2 producer

    assert person.settled(old["id"], deadline=deadline)["status"] == "CONFIRMED"
    assert person.settled(new["id"], deadline=deadline)["status"] == "CONFIRMED"
    assert within(deadline, lambda: person.balance() == 10_000 - 800 - 1200)

    # One producer emitted v1, the other v2 ...
    assert outbox_versions(stack, [old["id"], new["id"]]) == {old["id"]: 1, new["id"]: 2}
    # ... and inventory and billing each applied both, upcasting the v1 event for their v2 handlers.
    for service, (upcast_before, applied_before) in before.items():
        eventually(lambda s=service, b=applied_before: applied_orders(api, s) >= b + 2, timeout=SETTLE_SECONDS)
        assert upcasts(api, service) >= upcast_before + 1, service

    # The order remembers what the customer sent; the v1 producer's event just did not carry it.
    assert person.order(new["id"])["channel"] == "mobile"
    assert person.order(new["id"])["shippingAddress"] == {**address, "line2": None}
    assert person.order(old["id"])["channel"] == "web"
    assert person.order(old["id"])["shippingAddress"] is None


def test_post_orders_validates_channel_and_shipping_address(api: Api):
    person = new_customer(api, prefix="schema-shopper")
    orders = person.client("orders")
    sku = new_product(api, price=500, timeout=SETTLE_SECONDS)
    items = [{"sku": sku, "quantity": 1}]
    for body in (
        {"items": items, "channel": "fax"},
        {"items": items, "channel": None},
        {"items": items, "shippingAddress": {"line1": "1 Road", "city": "Oslo", "country": "Norway"}},
        {"items": items, "shippingAddress": {"city": "Oslo", "country": "NO"}},
        {"items": items, "shippingAddress": {"line1": "1 Road", "city": "Oslo", "country": "NO", "planet": "Earth"}},
        {"items": items, "shippingAddress": "1 Road, Oslo"},
    ):
        response = orders.post("/orders", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["code"] == "invalid_request"
    assert ok(orders.get("/orders")) == []  # nothing was written
    placed = person.place((sku, 1), channel="api")
    assert placed["channel"] == "api" and placed["shippingAddress"] is None


# -- malformed events ----------------------------------------------------------------------------


def envelope(data: dict, *, version: int = 1, producer: str = "inventory", account: str = "444444444444") -> str:
    return json.dumps(
        {
            "metadata": {
                "eventId": str(uuid.uuid4()),
                "schemaVersion": version,
                "occurredAt": datetime.now(UTC).isoformat(),
                "producer": producer,
                "account": account,
                "correlationId": str(uuid.uuid4()),
            },
            "data": data,
        }
    )


def test_a_malformed_event_on_the_bus_is_dead_lettered_with_the_reason_and_nothing_else_is_affected(
    api: Api, aws_endpoint: str
):
    orders = api.urls["orders"]
    invalid_before = metric(orders, "causeway_events_consumed_total", event_type="ProductUpserted", outcome="invalid")
    bad_sku, good_sku = f"SKU-BAD{uuid.uuid4().hex[:8].upper()}", f"SKU-OK{uuid.uuid4().hex[:8].upper()}"
    malformed = envelope({"sku": bad_sku, "name": "Broken", "unitPrice": "twelve", "currency": "USD"})
    unknown_version = envelope({"sku": bad_sku, "name": "Future", "unitPrice": 100, "currency": "USD"}, version=7)
    good = envelope({"sku": good_sku, "name": "Fine", "unitPrice": 100, "currency": "USD"})
    aws.put_events(aws_endpoint, "inventory", [("ProductUpserted", d) for d in (malformed, unknown_version, good)])

    # The queue keeps flowing: the good event after them is applied.
    in_orders_catalogue(api, good_sku, timeout=SETTLE_SECONDS)
    eventually(
        lambda: metric(orders, "causeway_events_consumed_total", event_type="ProductUpserted", outcome="invalid")
        == invalid_before + 2,
        timeout=SETTLE_SECONDS,
    )
    assert httpx.get(f"{orders}/catalogue/{bad_sku}").status_code == 404  # neither was applied

    # Both are in orders' dead-letter queue, each with what was wrong.
    wanted = {json.loads(malformed)["metadata"]["eventId"], json.loads(unknown_version)["metadata"]["eventId"]}
    dead: dict[str, str] = {}

    def dead_lettered() -> None:
        for event in aws.drain(aws_endpoint, "orders", dead_letter=True, wait=1):
            event_id = event["detail"]["metadata"]["eventId"]
            dead[event_id] = event["_attributes"]["causeway-error"]["StringValue"]
        assert wanted <= set(dead), dead

    eventually(dead_lettered, timeout=SETTLE_SECONDS)
    malformed_id, future_id = (json.loads(d)["metadata"]["eventId"] for d in (malformed, unknown_version))
    assert dead[malformed_id] == "invalid ProductUpserted v1: data.unitPrice: 'twelve' is not of type 'integer'"
    assert dead[future_id].startswith("unknown schema version 7 of ProductUpserted (known: 1)")
    assert json.loads(good)["metadata"]["eventId"] not in dead  # the good one was not
