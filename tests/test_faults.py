"""Faults lose no event and apply no effect twice.

A subscriber killed mid-flight catches up from its queue; events committed
while LocalStack is down wait in the producer's outbox and flow once it is
back (re-provisioned by its init hook); events that were waiting in a queue
when LocalStack restarted (it keeps nothing) are sent again by their producer.
"""

from __future__ import annotations

import uuid

import httpx

from tests.support import aws
from tests.support.api import Api
from tests.support.people import register
from tests.support.polling import eventually


def stack_visibility_timeout() -> int:
    from causeway import topology

    return topology.default().queues.visibility_timeout_seconds


def _wallet(api: Api, email: str) -> httpx.Response:
    return api.as_user("billing", email, "fault-password").get("/wallets/me")


def _payments_and_balance(api: Api, email: str) -> tuple[int, int]:
    billing = api.as_user("billing", email, "fault-password")
    return len(billing.get("/payments").json()), billing.get("/wallets/me").json()["balance"]


def test_a_killed_subscriber_catches_up_and_applies_once(api: Api, stack):
    stack.kill_service("billing")  # SIGKILL: no shutdown hook, as in a crash
    try:
        email = f"fault-{uuid.uuid4().hex[:8]}@example.com"
        api.register(email, password="fault-password")
        # Subscriptions, which is up, sees the registration meanwhile.
        subscriptions = api.as_user("subscriptions", email, "fault-password")
        eventually(lambda: subscriptions.get("/subscriptions/me").status_code == 200, timeout=10)
    finally:
        stack.start_service("billing")
    # A long poll the killed process had open may have taken the message with it:
    # SQS hands it out again once its visibility timeout (30 s) runs out.
    visibility = stack_visibility_timeout()
    eventually(lambda: _wallet(api, email).status_code == 200, timeout=visibility + 15, interval=0.5)
    assert _wallet(api, email).json()["balance"] == 10_000  # opened once


def test_events_committed_while_localstack_is_down_flow_when_it_is_back(api: Api, stack):
    stack.localstack.stop()
    try:
        email = f"outage-{uuid.uuid4().hex[:8]}@example.com"
        # Identity's own database is up: registration succeeds, its event waits in the outbox.
        api.register(email, password="fault-password")
    finally:
        stack.localstack.start()  # a fresh emulator, provisioned again by the init hook
    eventually(lambda: _wallet(api, email).status_code == 200, timeout=45, interval=0.5)
    subscriptions = api.as_user("subscriptions", email, "fault-password")
    eventually(lambda: subscriptions.get("/subscriptions/me").status_code == 200, timeout=15)
    # And the stack keeps working end to end after the outage.
    orders = api.as_user("orders", email, "fault-password")
    placed = orders.post("/orders", json={"items": [{"sku": "SKU-MUG", "quantity": 1}]})
    assert placed.status_code == 202, placed.text
    order_id = placed.json()["id"]
    eventually(lambda: orders.get(f"/orders/{order_id}").json()["status"] == "CONFIRMED", timeout=20)
    assert _payments_and_balance(api, email) == (1, 10_000 - 800)


def test_events_waiting_in_a_queue_when_localstack_restarts_are_sent_again_and_applied_once(api: Api, stack):
    stack.stop_service("billing")  # billing's queue keeps what arrives meanwhile
    try:
        dana = register(api, prefix="restart")
        # Subscriptions and notifications (up) apply the registration; billing's copy waits in its queue.
        eventually(dana.subscription, timeout=10)
        eventually(lambda: dana.notifications("welcome"), timeout=10)
        eventually(lambda: aws.queue_depth(stack.localstack.url, "billing") >= 1, timeout=10)
        stack.localstack.restart()  # a new emulator: queues, and what they held, are gone
    finally:
        stack.start_service("billing")
    # Identity's relay sees a central bus created anew and sends what it published into the old one again.
    assert eventually(dana.wallet, timeout=60, interval=0.5)["balance"] == 10_000
    # Subscriptions and notifications got UserRegistered twice and applied it once.
    assert dana.subscription()["plan"] == "free"
    assert len(dana.notifications("welcome")) == 1
