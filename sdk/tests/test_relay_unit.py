"""The relay's batching and partial-failure handling, with a fake EventBridge client at the seam."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from causeway.messaging.models import OutboxMessage
from causeway.messaging.relay import EventBridgePublisher, OutboxRelay, PartialFailure
from causeway.uow import UnitOfWork


class FakeEventBridge:
    """Rejects the entries whose data has `reject: true` the first `rejections` times."""

    def __init__(self, rejections: int = 1) -> None:
        self.calls: list[list[dict]] = []
        self.rejections = rejections

    def put_events(self, Entries):
        self.calls.append(Entries)
        results = []
        for entry in Entries:
            data = json.loads(entry["Detail"])["data"]
            if data.get("reject") and self.rejections > 0:
                results.append({"ErrorCode": "InternalFailure", "ErrorMessage": "try again"})
            else:
                results.append({"EventId": "x"})
        if any("ErrorCode" in r for r in results):
            self.rejections -= 1
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}


def stage(sessions, items):
    with UnitOfWork(sessions=sessions, producer="orders", account="333333333333") as uow:
        for aggregate, data in items:
            uow.publish("OrderPlaced", data, aggregate_id=aggregate)
        uow.commit()


def relay_with(sessions, fake):
    publisher = EventBridgePublisher(fake, bus_arn="arn:bus", source="causeway.orders")
    return OutboxRelay(sessions=sessions, publisher=publisher)


def test_only_failed_entries_are_sent_again(sessions):
    stage(sessions, [(f"a{i}", {"n": i, "reject": i == 3}) for i in range(6)])
    fake = FakeEventBridge(rejections=1)
    relay = relay_with(sessions, fake)
    with pytest.raises(PartialFailure):
        relay.publish_pending()
    assert len(fake.calls[0]) == 6
    relay.publish_pending()
    resent = [json.loads(e["Detail"])["data"]["n"] for e in fake.calls[1]]
    assert resent == [3]
    with sessions() as s:
        rows = s.scalars(select(OutboxMessage)).all()
    assert all(r.published_at is not None for r in rows)
    assert {r.attempts for r in rows if r.aggregate_id == "a3"} == {2}


def test_batches_hold_at_most_ten_and_one_event_per_aggregate(sessions):
    stage(sessions, [(f"a{i}", {"n": i}) for i in range(12)] + [("a0", {"n": 100})])
    fake = FakeEventBridge(rejections=0)
    relay_with(sessions, fake).publish_pending()
    sizes = [len(c) for c in fake.calls]
    assert sizes == [10, 3]
    second = [json.loads(e["Detail"])["data"]["n"] for e in fake.calls[1]]
    assert 100 in second  # a0's second event waited for its first


def test_a_rejected_event_holds_back_its_aggregates_successors(sessions):
    stage(sessions, [("a", {"n": 1, "reject": True}), ("a", {"n": 2}), ("b", {"n": 3})])
    fake = FakeEventBridge(rejections=1)
    relay = relay_with(sessions, fake)
    with pytest.raises(PartialFailure):
        relay.publish_pending()
    assert [json.loads(e["Detail"])["data"]["n"] for e in fake.calls[0]] == [1, 3]
    relay.publish_pending()
    order = [json.loads(e["Detail"])["data"]["n"] for call in fake.calls for e in call]
    assert order.index(2) > order.index(1, 1)  # 2 only after 1 was accepted


class FakeBusReader:
    """Describes the central bus: its policy admits the producer; `created` says which incarnation it is."""

    def __init__(self) -> None:
        self.created = datetime(2026, 1, 1, tzinfo=UTC)

    def describe_event_bus(self, Name):
        policy = {"Statement": [{"Principal": {"AWS": "arn:aws:iam::333333333333:root"}}]}
        return {"Name": Name, "Policy": json.dumps(policy), "CreationTime": self.created}


def test_a_bus_created_anew_gets_again_what_went_into_the_old_one_in_order(sessions):
    fake, reader = FakeEventBridge(rejections=0), FakeBusReader()
    publisher = EventBridgePublisher(
        fake, bus_arn="arn:bus", source="causeway.orders", account="333333333333", bus_reader=reader
    )
    relay = OutboxRelay(sessions=sessions, publisher=publisher, bus_check_seconds=0)
    stage(sessions, [("a", {"n": 0}), ("a", {"n": 1}), ("b", {"n": 2})])
    assert relay.publish_pending() == 3

    reader.created = datetime(2026, 1, 2, tzinfo=UTC)  # the emulator restarted: its queues are empty
    stage(sessions, [("a", {"n": 3})])
    assert relay.publish_pending() == 4
    resent = [[json.loads(e["Detail"])["data"]["n"] for e in call] for call in fake.calls[2:]]
    assert resent == [[0, 2], [1], [3]]  # the old events first, each aggregate in order

    assert relay.publish_pending() == 0  # the same bus again: nothing is sent twice
    with sessions() as s:
        assert all(r.published_at is not None for r in s.scalars(select(OutboxMessage)))
