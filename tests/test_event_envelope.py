"""A UserRegistered published by identity arrives in each subscriber's queue, with the full envelope."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest

from causeway import topology as topology_module
from causeway_devstack.processes import free_port
from causeway_devstack.stack import Stack
from tests.conftest import TEST_ENV
from tests.support import aws
from tests.support.polling import eventually

TOPOLOGY = topology_module.default()


@pytest.fixture(scope="module")
def lone_identity(bare_localstack, tmp_path_factory):
    """Identity alone on a LocalStack whose subscriber queues no service reads."""
    stack = Stack(
        data_dir=tmp_path_factory.mktemp("lone-identity"),
        localstack_port=bare_localstack.port,
        ports={"identity": free_port()},
        environment="test",
        env={**TEST_ENV, "OTEL_EXPORTER_OTLP_ENDPOINT": ""},
        localstack=bare_localstack,
    )
    stack.start_service("identity")
    yield stack
    stack.stop_service("identity")


def test_user_registered_reaches_every_subscriber_with_the_full_envelope(lone_identity, bare_localstack):
    email = f"envelope-{uuid.uuid4().hex[:8]}@example.com"
    correlation_id = str(uuid.uuid4())
    response = httpx.post(
        f"{lone_identity.url('identity')}/users",
        json={"email": email, "password": "pass-word-1", "name": "Env"},
        headers={"X-Correlation-ID": correlation_id},
    )
    assert response.status_code == 201
    user_id = response.json()["id"]
    consumers = {c.name for c in TOPOLOGY.consumers_of("UserRegistered")}
    assert consumers == {"billing", "subscriptions", "notifications"}
    found: dict[str, dict] = {}

    def delivered():
        for name in consumers - found.keys():
            for event in aws.drain(bare_localstack.url, name, wait=0):
                if event["detail"]["data"].get("userId") == user_id:
                    found[name] = event
        assert found.keys() == consumers

    eventually(delivered, timeout=10, interval=0.2)
    event_ids = set()
    for event in found.values():
        assert event["source"] == "causeway.identity" and event["detail-type"] == "UserRegistered"
        metadata = event["detail"]["metadata"]
        assert event["detail"]["data"] == {"userId": user_id, "email": email, "name": "Env"}
        uuid.UUID(metadata["eventId"])
        event_ids.add(metadata["eventId"])
        assert metadata["schemaVersion"] == 1
        assert metadata["occurredAt"].endswith("Z") or metadata["occurredAt"].endswith("+00:00")
        datetime.fromisoformat(metadata["occurredAt"].replace("Z", "+00:00"))
        assert metadata["producer"] == "identity"
        assert metadata["account"] == TOPOLOGY.service("identity").account
        assert metadata["traceparent"].startswith("00-") and len(metadata["traceparent"].split("-")) == 4
        assert metadata["correlationId"] == correlation_id
    assert len(event_ids) == 1  # one event, fanned out
    for name in {s.name for s in TOPOLOGY.subscribers} - consumers - {"identity"}:
        delivered = aws.drain(bare_localstack.url, name, wait=0)
        assert [e for e in delivered if e["detail"]["data"].get("userId") == user_id] == []
