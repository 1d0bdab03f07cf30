"""The schema catalogue at work: producers validate before the outbox, consumers validate and upcast.

No LocalStack here: the queue consumer runs against a fake SQS client at its
seam, the unit of work against a real SQLite database.
"""

from __future__ import annotations

import copy
import json
import shutil
import uuid
from importlib import resources

import pytest
from sqlalchemy import func, select

from causeway import schemas
from causeway import topology as topology_module
from causeway.messaging.consumer import HandlerRegistry, Outcome, QueueConsumer
from causeway.messaging.models import InboxRecord, OutboxMessage
from causeway.schemas import InvalidEventData, OutgoingEventInvalid, UnknownSchema
from causeway.schemas.upcasting import UPCASTERS
from causeway.uow import UnitOfWork

CATALOGUE = schemas.default()
ORDER_V1 = CATALOGUE.get("OrderPlaced", 1).examples[0]
ORDER_V2 = CATALOGUE.get("OrderPlaced", 2).examples[0]


# -- the catalogue ----------------------------------------------------------------------------


def test_every_event_of_the_topology_has_a_schema_and_a_valid_example():
    topology = topology_module.default()
    assert set(CATALOGUE.event_types) == set(topology.event_types)
    for event_type in CATALOGUE.event_types:
        for version in CATALOGUE.versions(event_type):
            entry = CATALOGUE.get(event_type, version)
            assert entry.schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
            assert entry.examples, f"{event_type} v{version} has no example"
            for example in entry.examples:
                assert CATALOGUE.errors(event_type, version, example) == []


def test_order_placed_v2_adds_channel_and_an_optional_shipping_address():
    assert CATALOGUE.versions("OrderPlaced") == [1, 2]
    v2 = CATALOGUE.schema("OrderPlaced", 2)
    assert v2["properties"]["channel"]["enum"] == ["web", "mobile", "api"]
    assert v2["properties"]["channel"]["default"] == "web"
    assert "shippingAddress" in v2["properties"] and "shippingAddress" not in v2["required"]
    assert CATALOGUE.compatibility("OrderPlaced").value == "BACKWARD"


def test_validation_names_every_bad_field():
    bad = copy.deepcopy(ORDER_V2)
    del bad["orderId"]
    bad["items"][0]["quantity"] = "two"
    bad["channel"] = "fax"
    with pytest.raises(InvalidEventData) as caught:
        CATALOGUE.validate("OrderPlaced", 2, bad)
    text = str(caught.value)
    assert text.startswith("invalid OrderPlaced v2: ")
    assert "'orderId' is a required property" in text
    assert "data.items[0].quantity: 'two' is not of type 'integer'" in text
    assert "data.channel: 'fax' is not one of ['web', 'mobile', 'api']" in text


def test_unknown_fields_are_tolerated():
    CATALOGUE.validate("OrderPlaced", 1, {**ORDER_V1, "somethingNew": {"x": 1}})


def test_unknown_event_types_and_versions_are_refused():
    with pytest.raises(UnknownSchema, match="no schema for event type 'NoSuchEvent'"):
        CATALOGUE.validate("NoSuchEvent", 1, {})
    with pytest.raises(UnknownSchema, match=r"unknown schema version 7 of OrderPlaced \(known: 1, 2\)"):
        CATALOGUE.validate("OrderPlaced", 7, ORDER_V2)


# -- upcasting and the tolerant reader ------------------------------------------------------


def test_v1_is_upcast_to_v2_with_channel_web():
    upcast = CATALOGUE.conform("OrderPlaced", 1, ORDER_V1, 2)
    assert upcast == {**ORDER_V1, "channel": "web"}
    assert "channel" not in ORDER_V1  # the input is never modified
    assert UPCASTERS.upcast("OrderPlaced", ORDER_V1, 1, 1) == ORDER_V1


def test_a_newer_event_reaches_an_older_handler_as_it_is_when_it_satisfies_it():
    assert CATALOGUE.conform("OrderPlaced", 2, ORDER_V2, 1) == ORDER_V2


@pytest.fixture(scope="module")
def catalogue_with_v3(tmp_path_factory) -> schemas.Catalogue:
    """The SDK's schema folder copied, with an OrderPlaced v3 that drops `total` (as if registered under NONE)."""
    root = tmp_path_factory.mktemp("schemas")
    shutil.copytree(str(resources.files("causeway.schemas")), root, dirs_exist_ok=True)
    v3 = copy.deepcopy(CATALOGUE.schema("OrderPlaced", 2))
    v3["required"].remove("total")
    del v3["properties"]["total"]
    (root / "OrderPlaced" / "v3.schema.json").write_text(json.dumps(v3))
    return schemas.load(root)


def test_a_newer_event_that_an_older_handler_cannot_read_is_refused(catalogue_with_v3):
    v3 = {k: v for k, v in ORDER_V2.items() if k != "total"}
    assert catalogue_with_v3.errors("OrderPlaced", 3, v3) == []
    with pytest.raises(InvalidEventData, match="OrderPlaced v3 does not satisfy a handler written for v2: .*'total'"):
        catalogue_with_v3.conform("OrderPlaced", 3, v3, 2)


def test_invalid_data_is_refused_before_upcasting():
    with pytest.raises(InvalidEventData, match="invalid OrderPlaced v1: data: 'customerId' is a required property"):
        CATALOGUE.conform("OrderPlaced", 1, {k: v for k, v in ORDER_V1.items() if k != "customerId"}, 2)


# -- producers: nothing invalid reaches the outbox ----------------------------------------


def uow(sessions, catalogue: schemas.Catalogue = CATALOGUE) -> UnitOfWork:
    return UnitOfWork(
        sessions=sessions, producer="orders", account="333333333333", validate=catalogue.outgoing_validator()
    )


def outbox_count(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage))


def test_a_producer_cannot_stage_an_invalid_event(sessions):
    with uow(sessions) as work:
        with pytest.raises(OutgoingEventInvalid) as caught:
            work.publish("OrderPlaced", {"orderId": "o-1"}, aggregate_id="o-1", schema_version=2)
        work.commit()
    assert outbox_count(sessions) == 0
    assert caught.value.status == 500 and caught.value.code == "outgoing_event_invalid"
    assert "'customerId' is a required property" in caught.value.message
    assert any("'channel' is a required property" in d for d in caught.value.details)


def test_a_producer_cannot_declare_a_version_without_a_schema(sessions):
    with uow(sessions) as work, pytest.raises(OutgoingEventInvalid, match="unknown schema version 9"):
        work.publish("OrderPlaced", ORDER_V2, aggregate_id="o-1", schema_version=9)
    assert outbox_count(sessions) == 0


def test_v1_and_v2_producers_stage_their_own_versions(sessions):
    with uow(sessions) as work:
        work.publish("OrderPlaced", ORDER_V1, aggregate_id="a", schema_version=1)
        work.publish("OrderPlaced", ORDER_V2, aggregate_id="b", schema_version=2)
        work.commit()
    with sessions() as session:
        versions = [json.loads(d)["metadata"]["schemaVersion"] for d in session.scalars(select(OutboxMessage.detail))]
    assert sorted(versions) == [1, 2]


# -- consumers: validate, upcast, or dead-letter at once -------------------------------------


class FakeSqs:
    def __init__(self) -> None:
        self.dead: list[dict] = []
        self.deleted: list[str] = []

    def send_message(self, QueueUrl, MessageBody, MessageAttributes):  # noqa: N803 - boto3's names
        self.dead.append({"body": MessageBody, "attributes": MessageAttributes})

    def delete_message(self, QueueUrl, ReceiptHandle):  # noqa: N803
        self.deleted.append(ReceiptHandle)

    def change_message_visibility(self, **kwargs):
        pass


def message(data: dict, *, version: int, event_type: str = "OrderPlaced") -> dict:
    detail = {
        "metadata": {
            "eventId": str(uuid.uuid4()),
            "schemaVersion": version,
            "occurredAt": "2026-01-01T00:00:00Z",
            "producer": "orders",
            "account": "333333333333",
            "correlationId": str(uuid.uuid4()),
        },
        "data": data,
    }
    body = {"detail-type": event_type, "source": "causeway.orders", "detail": detail}
    return {"MessageId": str(uuid.uuid4()), "ReceiptHandle": str(uuid.uuid4()), "Body": json.dumps(body)}


@pytest.fixture
def consumer(sessions):
    received: list[dict] = []
    registry = HandlerRegistry()

    @registry.on("OrderPlaced", version=2)
    def handle(event, work):
        received.append(event.data)

    sqs = FakeSqs()
    node = QueueConsumer(
        sqs=sqs,
        queue_url="q",
        dead_letter_url="dlq",
        registry=registry,
        units_of_work=lambda: UnitOfWork(sessions=sessions, producer="inventory", account="444444444444"),
        contracts=CATALOGUE,
    )
    node.received, node.sqs = received, sqs  # for the assertions
    return node


def inbox_count(sessions) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(InboxRecord))


def test_a_handler_for_v2_gets_v1_events_upcast_and_v2_events_as_they_are(consumer, sessions):
    assert consumer.handle(message(ORDER_V1, version=1)) is Outcome.applied
    assert consumer.handle(message(ORDER_V2, version=2)) is Outcome.applied
    assert consumer.received == [{**ORDER_V1, "channel": "web"}, ORDER_V2]
    assert consumer.stats.upcasts == {("OrderPlaced", 1, 2): 1}
    assert inbox_count(sessions) == 2


@pytest.mark.parametrize(
    ("data", "version", "reason"),
    [
        ({**ORDER_V2, "total": "a lot"}, 2, "invalid OrderPlaced v2: data.total: 'a lot' is not of type 'integer'"),
        ({k: v for k, v in ORDER_V1.items() if k != "items"}, 1, "data: 'items' is a required property"),
        (ORDER_V2, 5, "unknown schema version 5 of OrderPlaced"),
    ],
)
def test_an_invalid_event_is_dead_lettered_at_once_with_the_reason(consumer, sessions, data, version, reason):
    delivered = message(data, version=version)
    assert consumer.handle(delivered) is Outcome.invalid
    assert consumer.received == []
    assert inbox_count(sessions) == 0  # nothing applied, nothing remembered
    [dead] = consumer.sqs.dead
    assert dead["body"] == delivered["Body"]
    assert reason in dead["attributes"]["causeway-error"]["StringValue"]
    assert dead["attributes"]["causeway-outcome"]["StringValue"] == "invalid"
    assert consumer.sqs.deleted == [delivered["ReceiptHandle"]]
    assert consumer.stats.invalid == 1 and consumer.stats.by_type[("OrderPlaced", "invalid")] == 1
    # The queue keeps flowing: the next good event is applied.
    assert consumer.handle(message(ORDER_V2, version=2)) is Outcome.applied


def test_a_consumer_without_contracts_hands_data_over_unchecked(sessions):
    registry = HandlerRegistry()
    seen = []
    registry.on("OrderPlaced")(lambda event, work: seen.append(event.data))
    node = QueueConsumer(
        sqs=FakeSqs(),
        queue_url="q",
        dead_letter_url="dlq",
        registry=registry,
        units_of_work=lambda: UnitOfWork(sessions=sessions, producer="inventory", account="444444444444"),
    )
    assert node.handle(message({"orderId": "bare"}, version=1)) is Outcome.applied
    assert seen == [{"orderId": "bare"}]


def test_handler_versions_are_positive_integers():
    registry = HandlerRegistry()
    with pytest.raises(ValueError, match="positive integer"):
        registry.on("OrderPlaced", version=0)
    registry.on("OrderPlaced", version=2)(lambda e, w: None)
    assert registry.version("OrderPlaced") == 2 and registry.version("Other") == 1


def test_a_service_refuses_to_start_with_a_handler_for_a_version_without_a_schema():
    from causeway.service import Service

    registry = HandlerRegistry()
    for event_type in topology_module.default().service("inventory").subscribes:
        registry.on(event_type, version=3 if event_type == "OrderPlaced" else 1)(lambda e, w: None)
    service = Service(name="inventory", handlers=registry)
    with pytest.raises(RuntimeError, match="the OrderPlaced handler is written for v3, which has no schema"):
        service._check_contracts(topology_module.default().service("inventory"), CATALOGUE)
