"""Direct AWS access for tests: read queues and put events as a given account."""

from __future__ import annotations

import json

import boto3

from causeway import topology as topology_module


def client(service: str, *, endpoint: str, account: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=account,
        aws_secret_access_key="test",
    )


def queue_url(endpoint: str, service: str, *, dead_letter: bool = False) -> str:
    spec = topology_module.default().service(service)
    sqs = client("sqs", endpoint=endpoint, account=spec.account)
    return sqs.get_queue_url(QueueName=spec.dlq_name if dead_letter else spec.queue_name)["QueueUrl"]


def drain(endpoint: str, service: str, *, dead_letter: bool = False, wait: int = 1) -> list[dict]:
    """Receive and delete everything on a queue; returns the EventBridge events (with attributes)."""
    spec = topology_module.default().service(service)
    sqs = client("sqs", endpoint=endpoint, account=spec.account)
    url = queue_url(endpoint, service, dead_letter=dead_letter)
    received: list[dict] = []
    while True:
        response = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait, MessageAttributeNames=["All"]
        )
        messages = response.get("Messages", [])
        if not messages:
            return received
        for message in messages:
            body = json.loads(message["Body"])
            body["_attributes"] = message.get("MessageAttributes", {})
            received.append(body)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def put_events(endpoint: str, producer: str, entries: list[tuple[str, str]]) -> None:
    """Put (detail-type, detail JSON) entries on the central bus as `producer`, as its relay would."""
    topology = topology_module.default()
    spec = topology.service(producer)
    events = client("events", endpoint=endpoint, account=spec.account)
    response = events.put_events(
        Entries=[
            {"EventBusName": topology.hub_bus_arn, "Source": spec.source, "DetailType": t, "Detail": d}
            for t, d in entries
        ]
    )
    assert not response.get("FailedEntryCount"), response


def queue_depth(endpoint: str, service: str) -> int:
    """Messages on a service's queue, waiting or being handled (approximate, as SQS reports it)."""
    spec = topology_module.default().service(service)
    sqs = client("sqs", endpoint=endpoint, account=spec.account)
    names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url(endpoint, service), AttributeNames=names)["Attributes"]
    return sum(int(attributes.get(name, 0)) for name in names)
