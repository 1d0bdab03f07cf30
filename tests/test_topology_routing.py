"""Provisioning is idempotent, and every event type reaches exactly its consumers' queues."""

from __future__ import annotations

import json
import uuid

from causeway import topology as topology_module
from causeway.provisioning import provision
from tests.support import aws


def test_provisioning_twice_changes_nothing(bare_localstack):
    report = provision(endpoint_url=bare_localstack.url)
    assert report.changes == []
    assert report.unchanged > 0


def test_each_event_type_reaches_exactly_its_consumers(bare_localstack):
    endpoint = bare_localstack.url
    topology = topology_module.default()
    run = uuid.uuid4().hex
    for event_type in topology.event_types:
        producer = topology.producer_of(event_type)
        events = aws.client("events", endpoint=endpoint, account=producer.account)
        response = events.put_events(
            Entries=[
                {
                    "EventBusName": topology.hub_bus_arn,
                    "Source": producer.source,
                    "DetailType": event_type,
                    "Detail": json.dumps({"metadata": {"run": run}, "data": {}}),
                }
            ]
        )
        assert response["FailedEntryCount"] == 0

    expected = {s.name: set(s.subscribes) for s in topology.subscribers}
    received: dict[str, set[str]] = {name: set() for name in expected}

    def all_arrived() -> None:
        for name in expected:
            for event in aws.drain(endpoint, name, wait=0):
                if event["detail"]["metadata"].get("run") == run:
                    assert event["detail-type"] not in received[name], f"{name} got {event['detail-type']} twice"
                    received[name].add(event["detail-type"])
        assert received == expected

    from tests.support.polling import eventually

    eventually(all_arrived, timeout=10, interval=0.2)
    # Nothing more is on the way: a last look finds every queue empty.
    for name in expected:
        assert [e for e in aws.drain(endpoint, name, wait=1) if e["detail"]["metadata"].get("run") == run] == []


def test_a_foreign_source_is_not_routed(bare_localstack):
    """Rules match the producer too: a look-alike event from another source goes nowhere."""
    endpoint = bare_localstack.url
    topology = topology_module.default()
    events = aws.client("events", endpoint=endpoint, account=topology.service("orders").account)
    events.put_events(
        Entries=[
            {
                "EventBusName": topology.hub_bus_arn,
                "Source": "causeway.orders",
                "DetailType": "UserRegistered",  # identity's event type, but not from identity
                "Detail": json.dumps({"metadata": {}, "data": {}}),
            }
        ]
    )
    for name in ("billing", "subscriptions", "notifications"):
        assert aws.drain(endpoint, name, wait=1) == []
