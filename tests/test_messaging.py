"""Outbox and inbox against real LocalStack: at-least-once delivery, applied exactly once.

The SDK's relay and consumer run in this process, wired as a service wires
them, between orders' account (producer of OrderPlaced) and inventory's queue
on a LocalStack whose queues no service reads.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from causeway import db
from causeway import topology as topology_module
from causeway.messaging.consumer import HandlerRegistry, QueueConsumer
from causeway.messaging.models import OutboxMessage
from causeway.messaging.relay import EventBridgePublisher, OutboxRelay
from causeway.uow import UnitOfWork
from tests.support import aws
from tests.support.polling import eventually

TOPOLOGY = topology_module.default()
PRODUCER = TOPOLOGY.service("orders")
CONSUMER = TOPOLOGY.service("inventory")

effects_metadata = MetaData()
effects = Table(
    "effects",
    effects_metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(36)),
    Column("order_id", String(64)),
)


class Node:
    """One side's database with the SDK's tables plus an `effects` table."""

    def __init__(self, path: Path) -> None:
        self.engine = db.create_db_engine(f"sqlite:///{path}")
        db.migrate(self.engine, service_versions=None)
        effects_metadata.create_all(self.engine)
        self.sessions = db.session_factory(self.engine)

    def uow(self, producer: str = PRODUCER.name, account: str = PRODUCER.account) -> UnitOfWork:
        return UnitOfWork(sessions=self.sessions, producer=producer, account=account)

    def effect_count(self, order_id: str) -> int:
        with self.sessions() as s:
            return s.scalar(select(func.count()).select_from(effects).where(effects.c.order_id == order_id))

    def pending(self) -> int:
        with self.sessions() as s:
            return s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.published_at.is_(None)))


@pytest.fixture
def producer(tmp_path) -> Node:
    return Node(tmp_path / "producer.db")


@pytest.fixture
def consumer_node(tmp_path) -> Node:
    return Node(tmp_path / "consumer.db")


@pytest.fixture
def endpoint(bare_localstack) -> str:
    url = bare_localstack.url
    aws.drain(url, CONSUMER.name, wait=0)
    aws.drain(url, CONSUMER.name, dead_letter=True, wait=0)
    return url


def publisher(endpoint: str) -> EventBridgePublisher:
    client = aws.client("events", endpoint=endpoint, account=PRODUCER.account)
    return EventBridgePublisher(client, bus_arn=TOPOLOGY.hub_bus_arn, source=PRODUCER.source)


def make_consumer(endpoint: str, node: Node, registry: HandlerRegistry) -> QueueConsumer:
    sqs = aws.client("sqs", endpoint=endpoint, account=CONSUMER.account)
    return QueueConsumer(
        sqs=sqs,
        queue_url=aws.queue_url(endpoint, CONSUMER.name),
        dead_letter_url=aws.queue_url(endpoint, CONSUMER.name, dead_letter=True),
        registry=registry,
        units_of_work=lambda: node.uow(CONSUMER.name, CONSUMER.account),
        wait_seconds=1,
        retry_base_seconds=0,
    )


def recording_registry() -> HandlerRegistry:
    registry = HandlerRegistry()

    @registry.on("OrderPlaced")
    def record(event, uow):
        uow.session.execute(insert(effects).values(event_id=event.event_id, order_id=event.data["orderId"]))

    return registry


def place_order(node: Node, order_id: str) -> str:
    with node.uow() as uow:
        event = uow.publish("OrderPlaced", {"orderId": order_id}, aggregate_id=order_id)
        uow.commit()
    return event.event_id


def consume_until(consumer: QueueConsumer, done, timeout: float = 10) -> None:
    def step():
        consumer.poll_once()
        assert done()

    eventually(step, timeout=timeout, interval=0)


class CrashAfterPut(EventBridgePublisher):
    """Publishes for real, then dies before the relay can mark anything sent."""

    def put(self, entries):
        super().put(entries)
        raise SystemExit("relay process killed after PutEvents")


def test_nothing_is_published_when_the_transaction_rolls_back(producer, endpoint):
    with producer.uow() as uow:
        uow.publish("OrderPlaced", {"orderId": "rolled-back"}, aggregate_id="rolled-back")
        # no commit: leaving the block rolls back the state change and its event together
    assert producer.pending() == 0


def test_relay_crash_after_put_republishes_and_consumer_applies_once(producer, consumer_node, endpoint):
    order_id = f"order-{uuid.uuid4().hex[:8]}"
    event_id = place_order(producer, order_id)
    crashing = OutboxRelay(sessions=producer.sessions, publisher=CrashAfterPut(
        aws.client("events", endpoint=endpoint, account=PRODUCER.account),
        bus_arn=TOPOLOGY.hub_bus_arn,
        source=PRODUCER.source,
    ))
    with pytest.raises(SystemExit):
        crashing.publish_pending()
    assert producer.pending() == 1  # never marked sent

    restarted = OutboxRelay(sessions=producer.sessions, publisher=publisher(endpoint))
    assert restarted.publish_pending() == 1
    assert producer.pending() == 0

    consumer = make_consumer(endpoint, consumer_node, recording_registry())
    consume_until(consumer, lambda: consumer.stats.applied + consumer.stats.duplicate == 2)
    assert consumer.stats.applied == 1 and consumer.stats.duplicate == 1
    assert consumer_node.effect_count(order_id) == 1
    with consumer_node.sessions() as s:
        assert s.scalar(select(effects.c.event_id).where(effects.c.order_id == order_id)) == event_id


def test_duplicate_delivery_is_applied_once(producer, consumer_node, endpoint):
    order_id = f"order-{uuid.uuid4().hex[:8]}"
    place_order(producer, order_id)
    OutboxRelay(sessions=producer.sessions, publisher=publisher(endpoint)).publish_pending()
    consumer = make_consumer(endpoint, consumer_node, recording_registry())
    consume_until(consumer, lambda: consumer.stats.applied == 1)

    # The same EventBridge event delivered again, as SQS may do.
    with producer.sessions() as s:
        detail = s.scalar(select(OutboxMessage.detail))
    sqs = aws.client("sqs", endpoint=endpoint, account=CONSUMER.account)
    body = json.dumps({"detail-type": "OrderPlaced", "source": PRODUCER.source, "detail": json.loads(detail)})
    for _ in range(2):
        sqs.send_message(QueueUrl=aws.queue_url(endpoint, CONSUMER.name), MessageBody=body)
    consume_until(consumer, lambda: consumer.stats.duplicate == 2)
    assert consumer_node.effect_count(order_id) == 1


def test_events_of_one_aggregate_keep_their_order(producer, consumer_node, endpoint):
    order_id = f"order-{uuid.uuid4().hex[:8]}"
    with producer.uow() as uow:
        for step in range(5):
            uow.publish("OrderPlaced", {"orderId": order_id, "step": step}, aggregate_id=order_id)
        uow.commit()
    relay = OutboxRelay(sessions=producer.sessions, publisher=publisher(endpoint))
    sent_batches = []
    original = relay._publisher.put

    def recording_put(entries):
        sent_batches.append([json.loads(e.detail)["data"]["step"] for e in entries])
        return original(entries)

    relay._publisher.put = recording_put
    assert relay.publish_pending() == 5
    # One event of the aggregate per PutEvents call, in outbox order.
    assert sent_batches == [[0], [1], [2], [3], [4]]


def test_a_handler_that_always_fails_ends_in_the_dead_letter_queue(producer, consumer_node, endpoint):
    order_id = f"order-{uuid.uuid4().hex[:8]}"
    event_id = place_order(producer, order_id)
    OutboxRelay(sessions=producer.sessions, publisher=publisher(endpoint)).publish_pending()
    registry = HandlerRegistry()

    @registry.on("OrderPlaced")
    def broken(event, uow):
        uow.session.execute(insert(effects).values(event_id=event.event_id, order_id=order_id))
        raise RuntimeError("handler bug")

    consumer = make_consumer(endpoint, consumer_node, registry)
    dead: list[dict] = []

    def dead_lettered():
        consumer.poll_once()
        dead.extend(aws.drain(endpoint, CONSUMER.name, dead_letter=True, wait=0))
        assert [d["detail"]["metadata"]["eventId"] for d in dead] == [event_id]

    eventually(dead_lettered, timeout=20, interval=0)
    assert consumer.stats.failed == TOPOLOGY.queues.max_receive_count
    assert consumer_node.effect_count(order_id) == 0  # every failed attempt rolled back


def test_a_malformed_message_goes_to_the_dead_letter_queue_with_the_reason(consumer_node, endpoint):
    sqs = aws.client("sqs", endpoint=endpoint, account=CONSUMER.account)
    sqs.send_message(QueueUrl=aws.queue_url(endpoint, CONSUMER.name), MessageBody='{"detail-type": "OrderPlaced"}')
    consumer = make_consumer(endpoint, consumer_node, recording_registry())
    consume_until(consumer, lambda: consumer.stats.dead_lettered == 1)
    dead = aws.drain(endpoint, CONSUMER.name, dead_letter=True, wait=1)
    assert len(dead) == 1
    assert "not an EventBridge event" in dead[0]["_attributes"]["causeway-error"]["StringValue"]
