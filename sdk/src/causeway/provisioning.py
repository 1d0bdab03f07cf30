"""Idempotent provisioning of the topology: buses, policies, rules, queues.

Runs inside LocalStack as a ready.d init hook (compose and host mode alike) and
from the command line (`python -m causeway.provisioning --endpoint URL`).
It compares what exists with what the topology declares and changes only the
difference, so a second run reports nothing created or updated.

Like `causeway.topology`, it depends only on the standard library, PyYAML and
boto3, which LocalStack's own environment provides.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import boto3
from botocore.exceptions import ClientError

from causeway import topology as topology_module
from causeway.topology import ServiceSpec, Topology

ClientFactory = Callable[[str, str], object]  # (aws service, account id) -> boto3 client


def localstack_clients(endpoint_url: str, region: str) -> ClientFactory:
    """LocalStack's multi-account convention: the access key id is the account id."""

    def make(service: str, account: str):
        return boto3.client(
            service,
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=account,
            aws_secret_access_key="test",
        )

    return make


@dataclass
class Report:
    changes: list[str] = field(default_factory=list)
    unchanged: int = 0

    def changed(self, what: str) -> None:
        self.changes.append(what)

    def summary(self) -> str:
        lines = [f"  {c}" for c in self.changes]
        lines.append(f"provisioning: {len(self.changes)} changed, {self.unchanged} unchanged")
        return "\n".join(lines)


class Provisioner:
    def __init__(self, topology: Topology, clients: ClientFactory) -> None:
        self.topology = topology
        self.clients = clients
        self.report = Report()

    def run(self) -> Report:
        t = self.topology
        self._bus(t.hub.account, t.hub_bus_name, policy=None)
        for spec in t.subscribers:
            self._subscriber(spec)
        # Last: the central bus's policy lets producers in. Relays wait for it
        # (EventBridgePublisher.destination_generation): an event put on the bus
        # before its rules exist is accepted, and dropped.
        self._bus(t.hub.account, t.hub_bus_name, policy=t.hub_bus_policy())
        return self.report

    def _subscriber(self, spec: ServiceSpec) -> None:
        t = self.topology
        dlq_arn = self._queue(
            spec.account,
            spec.dlq_name,
            {"MessageRetentionPeriod": str(t.queues.dlq_retention_seconds)},
        )
        self._queue(
            spec.account,
            spec.queue_name,
            {
                "VisibilityTimeout": str(t.queues.visibility_timeout_seconds),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": t.queues.max_receive_count}
                ),
                "Policy": json.dumps(t.queue_policy(spec)),
            },
        )
        self._bus(spec.account, spec.bus_name, policy=t.subscriber_bus_policy(spec))
        self._rule(
            account=t.hub.account,
            bus=t.hub_bus_name,
            name=spec.hub_rule_name,
            pattern=t.hub_rule_pattern(spec),
            target_arn=spec.bus_arn,
        )
        self._rule(
            account=spec.account,
            bus=spec.bus_name,
            name=spec.local_rule_name,
            pattern=t.local_rule_pattern(),
            target_arn=spec.queue_arn(),
        )

    def _bus(self, account: str, name: str, *, policy: dict | None) -> None:
        events = self.clients("events", account)
        try:
            current = events.describe_event_bus(Name=name)
        except ClientError as e:
            if e.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            events.create_event_bus(Name=name)
            self.report.changed(f"created bus {name} in {account}")
            current = {}
        if policy is None or _json_equal(current.get("Policy"), policy):
            self.report.unchanged += 1
            return
        events.put_permission(EventBusName=name, Policy=json.dumps(policy))
        self.report.changed(f"set policy of bus {name} in {account}")

    def _queue(self, account: str, name: str, attributes: dict[str, str]) -> str:
        sqs = self.clients("sqs", account)
        try:
            url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        except ClientError as e:
            if "NonExistentQueue" not in e.response["Error"]["Code"]:
                raise
            url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
            self.report.changed(f"created queue {name} in {account}")
        else:
            current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            stale = {k: v for k, v in attributes.items() if not _attribute_equal(current.get(k), v)}
            if stale:
                sqs.set_queue_attributes(QueueUrl=url, Attributes=stale)
                self.report.changed(f"updated queue {name} in {account}: {', '.join(sorted(stale))}")
            else:
                self.report.unchanged += 1
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return attrs["Attributes"]["QueueArn"]

    def _rule(self, *, account: str, bus: str, name: str, pattern: dict, target_arn: str) -> None:
        events = self.clients("events", account)
        try:
            current = events.describe_rule(Name=name, EventBusName=bus)
        except ClientError as e:
            if e.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
            current = None
        if current is None or not _json_equal(current.get("EventPattern"), pattern):
            events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern), State="ENABLED")
            verb = "created" if current is None else "updated"
            self.report.changed(f"{verb} rule {name} on {bus} in {account}")
        else:
            self.report.unchanged += 1
        targets = events.list_targets_by_rule(Rule=name, EventBusName=bus)["Targets"]
        if [t["Arn"] for t in targets] == [target_arn]:
            self.report.unchanged += 1
            return
        stale = [t["Id"] for t in targets if t["Arn"] != target_arn]
        if stale:
            events.remove_targets(Rule=name, EventBusName=bus, Ids=stale)
        events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "deliver", "Arn": target_arn}])
        self.report.changed(f"set target of rule {name} to {target_arn}")


def _json_equal(current: str | None, wanted: dict) -> bool:
    return current is not None and json.loads(current) == wanted


def _attribute_equal(current: str | None, wanted: str) -> bool:
    if current == wanted:
        return True
    try:  # JSON attributes (policies) may come back re-serialised
        return current is not None and json.loads(current) == json.loads(wanted)
    except ValueError:
        return False


def provision(*, endpoint_url: str, topology: Topology | None = None) -> Report:
    topology = topology or topology_module.default()
    return Provisioner(topology, localstack_clients(endpoint_url, topology.region)).run()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Provision the Causeway topology in LocalStack.")
    parser.add_argument("--endpoint", default="http://localhost:4566", help="LocalStack endpoint URL")
    parser.add_argument("--topology", help="topology file (default: the one shipped with the SDK)")
    args = parser.parse_args(argv)
    topology = topology_module.load(args.topology)
    print(provision(endpoint_url=args.endpoint, topology=topology).summary())


if __name__ == "__main__":
    main()
