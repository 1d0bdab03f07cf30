"""One trace per business flow, across every account it touches.

Every process of the suite's stack exports spans over OTLP to the suite's own
receiver (see conftest). A flow's trace is found from the `X-Trace-Id` header
of the request that started it.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from tests.support.api import Api
from tests.support.metrics import metric
from tests.support.otlp import Receiver, Span
from tests.support.people import ready, register
from tests.support.polling import eventually

CONSUMER_KIND = 5  # OTLP SpanKind: SPAN_KIND_CONSUMER


def customer_token(api: Api) -> str:
    """A token of a fresh customer whose wallet and subscription exist."""
    person = ready(register(api, prefix="traced"), subscription=True)
    # A new token: its first use must reach identity's introspection (no cache yet).
    return person.fresh_token()


def consumer_spans(spans: list[Span]) -> set[tuple[str, str]]:
    return {(s.service, s.attributes["causeway.event.type"]) for s in spans if s.kind == CONSUMER_KIND}


def assert_connected(spans: list[Span]) -> None:
    """Each consumer and publish span is a child of the span that created its event."""
    by_id = {s.span_id: s for s in spans}
    created = {s.attributes["messaging.message.id"]: s for s in spans if s.name.endswith(" create")}
    for span in spans:
        operation = span.attributes.get("messaging.operation")
        if operation in ("process", "publish"):
            event_id = span.attributes["messaging.message.id"]
            assert event_id in created, f"{span.name} in {span.service}: no create span for {event_id}"
            assert by_id[span.parent_span_id] is created[event_id], f"{span.name} in {span.service}"


def test_an_order_is_one_trace_across_accounts(api: Api, otlp: Receiver, stack):
    token = customer_token(api)
    orders = api.client("orders", token)
    placed = orders.post("/orders", json={"items": [{"sku": "SKU-MUG", "quantity": 1}]})
    assert placed.status_code == 202, placed.text
    trace_id = placed.headers["X-Trace-Id"]
    order_id = placed.json()["id"]
    eventually(lambda: orders.get(f"/orders/{order_id}").json()["status"] == "CONFIRMED", timeout=10)

    expected = {
        ("inventory", "OrderPlaced"),
        ("billing", "OrderPlaced"),
        ("billing", "StockReserved"),
        ("orders", "PaymentCaptured"),
        ("inventory", "PaymentCaptured"),
        ("notifications", "OrderConfirmed"),
    }
    eventually(lambda: expected <= consumer_spans(otlp.trace(trace_id)), timeout=10)
    spans = otlp.trace(trace_id)
    services = {s.service for s in spans}
    assert {"orders", "inventory", "billing", "notifications", "identity"} <= services
    assert any(s.service == "identity" and "/oauth/introspect" in s.name for s in spans)
    assert len({s.account for s in spans}) >= 4
    assert len({s.trace_id for s in spans}) == 1
    assert_connected(spans)
    # The relay sent these events later, from another thread and transaction: still this trace.
    # (Each process exports its spans in its own batches, so a publish span may arrive after
    # the consumer span of the event it published.)
    def publishers() -> set[str]:
        return {s.service for s in otlp.trace(trace_id) if s.attributes.get("messaging.operation") == "publish"}

    eventually(lambda: publishers() >= {"orders", "inventory", "billing"}, timeout=10)
    assert_connected(otlp.trace(trace_id))
    assert_logs_carry_trace(stack.data_dir / "logs", placed.headers["X-Correlation-ID"], trace_id,
                            services=("orders", "inventory", "billing", "notifications"))


def test_an_upgrade_is_one_trace_across_accounts(api: Api, otlp: Receiver, stack):
    token = customer_token(api)
    subscriptions = api.client("subscriptions", token)
    requested = subscriptions.post("/subscriptions/me/upgrade", json={"plan": "pro"})
    assert requested.status_code == 202, requested.text
    trace_id = requested.headers["X-Trace-Id"]
    eventually(lambda: subscriptions.get("/subscriptions/me").json()["plan"] == "pro", timeout=10)
    expected = {
        ("billing", "SubscriptionUpgradeRequested"),
        ("subscriptions", "PaymentCaptured"),
        ("orders", "SubscriptionUpgraded"),
        ("identity", "SubscriptionUpgraded"),
        ("notifications", "SubscriptionUpgraded"),
    }
    eventually(lambda: expected <= consumer_spans(otlp.trace(trace_id)), timeout=10)
    spans = otlp.trace(trace_id)
    assert len({s.account for s in spans}) >= 4
    assert_connected(spans)
    assert_logs_carry_trace(stack.data_dir / "logs", requested.headers["X-Correlation-ID"], trace_id,
                            services=("subscriptions", "billing", "orders", "identity", "notifications"))


def assert_logs_carry_trace(logs: Path, correlation_id: str, trace_id: str, *, services: tuple[str, ...]) -> None:
    for service in services:
        text = (logs / f"{service}.log").read_text()
        lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        mine = [line for line in lines if line.get("correlationId") == correlation_id]
        assert mine, f"{service} wrote no log line for this flow"
        assert {line.get("trace_id") for line in mine} == {trace_id}, service


# -- metrics ----------------------------------------------------------------------------


def test_metrics_count_what_happened(api: Api, otlp: Receiver, aws_endpoint: str):
    identity, billing = api.urls["identity"], api.urls["billing"]

    def published_by_identity() -> float:
        return metric(identity, "causeway_events_published_total", event_type="UserRegistered")

    def consumed_by_billing(outcome: str) -> float:
        return metric(billing, "causeway_events_consumed_total", event_type="UserRegistered", outcome=outcome)

    published = published_by_identity()
    applied = consumed_by_billing("applied")
    duplicates = consumed_by_billing("duplicate")

    email = f"metered-{uuid.uuid4().hex[:8]}@example.com"
    response = httpx.post(f"{identity}/users", json={"email": email, "password": "meter-password", "name": "M"})
    assert response.status_code == 201
    eventually(lambda: published_by_identity() == published + 1)
    eventually(lambda: consumed_by_billing("applied") == applied + 1)

    # The same event delivered to billing once more is skipped by its inbox, and counted.
    trace_id = response.headers["X-Trace-Id"]
    eventually(lambda: otlp.trace(trace_id) and any(s.name == "UserRegistered create" for s in otlp.trace(trace_id)))
    create = next(s for s in otlp.trace(trace_id) if s.name == "UserRegistered create")
    from tests.support import aws

    sqs = aws.client("sqs", endpoint=aws_endpoint, account="555555555555")
    sqs.send_message(
        QueueUrl=aws.queue_url(aws_endpoint, "billing"),
        MessageBody=json.dumps({
            "detail-type": "UserRegistered",
            "source": "causeway.identity",
            "detail": {
                "metadata": {
                    "eventId": create.attributes["messaging.message.id"],
                    "schemaVersion": 1,
                    "occurredAt": "2026-01-01T00:00:00Z",
                    "producer": "identity",
                    "account": "111111111111",
                    "correlationId": str(uuid.uuid4()),
                },
                "data": {"userId": response.json()["id"], "email": email, "name": "M"},
            },
        }),
    )
    eventually(lambda: consumed_by_billing("duplicate") == duplicates + 1)
    assert consumed_by_billing("applied") == applied + 1
    assert metric(billing, "causeway_dead_letter_queue_depth") == 0
    assert metric(identity, "causeway_outbox_backlog") == 0
    assert metric(billing, "causeway_introspection_cache_total", result="miss") >= 0
    assert metric(billing, "causeway_handler_duration_seconds_count", event_type="UserRegistered") >= applied + 1


@pytest.mark.parametrize("service", ["identity", "orders", "platform"])
def test_every_service_serves_metrics(api: Api, service: str):
    response = httpx.get(f"{api.urls[service]}/metrics")
    assert response.status_code == 200 and "causeway_introspection_cache_total" in response.text


def test_logs_never_carry_secrets_or_tokens(api: Api, stack):
    token = api.token("alice@example.com")
    api.client("orders", token).get("/orders")  # a request that is logged and introspected
    httpx.post(f"{api.urls['identity']}/oauth/introspect", data={"token": token}, auth=("orders", "orders-dev-secret"))
    for log in (stack.data_dir / "logs").glob("*.log"):
        if log.name == "localstack.log":
            continue  # the emulator's own log, not ours
        text = log.read_text(errors="replace")
        assert token not in text, log.name
        assert "dev-secret" not in text and "eyJ" not in text and "-password" not in text, log.name
