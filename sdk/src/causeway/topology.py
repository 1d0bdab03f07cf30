"""The declarative topology: accounts, buses, subscriptions, queues.

This module depends only on the standard library and PyYAML because it is also
imported inside the LocalStack process by the provisioning init hook, where
none of the services' dependencies exist. Every resource name is derived here
and nowhere else.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

TOPOLOGY_FILE = "topology.yaml"


class TopologyError(ValueError):
    """The topology file contradicts itself."""


@dataclass(frozen=True)
class QueuePolicy:
    visibility_timeout_seconds: int
    max_receive_count: int
    dlq_retention_seconds: int


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    account: str
    port: int
    publishes: tuple[str, ...] = ()
    subscribes: tuple[str, ...] = ()
    namespace: str = "causeway"
    region: str = "us-east-1"

    @property
    def source(self) -> str:
        """EventBridge `Source` of every event this service publishes."""
        return f"{self.namespace}.{self.name}"

    @property
    def bus_name(self) -> str:
        """The service's own bus, which receives its subscriptions from the hub."""
        return f"{self.namespace}-{self.name}"

    @property
    def bus_arn(self) -> str:
        return f"arn:aws:events:{self.region}:{self.account}:event-bus/{self.bus_name}"

    @property
    def queue_name(self) -> str:
        return f"{self.name}-events"

    @property
    def dlq_name(self) -> str:
        return f"{self.name}-events-dlq"

    def queue_arn(self, *, dead_letter: bool = False) -> str:
        name = self.dlq_name if dead_letter else self.queue_name
        return f"arn:aws:sqs:{self.region}:{self.account}:{name}"

    @property
    def hub_rule_name(self) -> str:
        """Rule on the central bus forwarding this service's subscriptions."""
        return f"to-{self.name}"

    @property
    def local_rule_name(self) -> str:
        """Rule on the service's own bus delivering everything to its queue."""
        return f"{self.name}-to-queue"


@dataclass(frozen=True)
class Topology:
    region: str
    namespace: str
    hub: ServiceSpec
    hub_bus_name: str
    queues: QueuePolicy
    services: dict[str, ServiceSpec] = field(default_factory=dict)

    @property
    def hub_bus_arn(self) -> str:
        return f"arn:aws:events:{self.region}:{self.hub.account}:event-bus/{self.hub_bus_name}"

    @property
    def producers(self) -> list[ServiceSpec]:
        return [s for s in self.services.values() if s.publishes]

    @property
    def subscribers(self) -> list[ServiceSpec]:
        return [s for s in self.services.values() if s.subscribes]

    @property
    def event_types(self) -> list[str]:
        return [e for s in self.services.values() for e in s.publishes]

    def service(self, name: str) -> ServiceSpec:
        try:
            return self.services[name]
        except KeyError:
            raise TopologyError(f"unknown service {name!r}") from None

    def producer_of(self, event_type: str) -> ServiceSpec:
        for spec in self.services.values():
            if event_type in spec.publishes:
                return spec
        raise TopologyError(f"no service publishes {event_type!r}")

    def consumers_of(self, event_type: str) -> list[ServiceSpec]:
        return [s for s in self.services.values() if event_type in s.subscribes]

    def hub_rule_pattern(self, subscriber: ServiceSpec) -> dict:
        """Exactly the subscriber's event types, each only from its own producer."""
        by_source: dict[str, list[str]] = {}
        for event_type in subscriber.subscribes:
            by_source.setdefault(self.producer_of(event_type).source, []).append(event_type)
        patterns = [
            {"source": [source], "detail-type": sorted(types)} for source, types in sorted(by_source.items())
        ]
        return patterns[0] if len(patterns) == 1 else {"$or": patterns}

    def local_rule_pattern(self) -> dict:
        return {"source": [{"prefix": f"{self.namespace}."}]}

    def hub_bus_policy(self) -> dict:
        """Resource policy of the central bus: each producer account may put, and see the bus."""
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": f"allow-put-from-{p.name}",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{p.account}:root"},
                    "Action": ["events:PutEvents", "events:DescribeEventBus"],
                    "Resource": self.hub_bus_arn,
                }
                for p in self.producers
            ],
        }

    def subscriber_bus_policy(self, subscriber: ServiceSpec) -> dict:
        """Resource policy of a subscriber's bus: only the platform account may put."""
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "allow-put-from-hub",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{self.hub.account}:root"},
                    "Action": "events:PutEvents",
                    "Resource": subscriber.bus_arn,
                }
            ],
        }

    def queue_policy(self, subscriber: ServiceSpec) -> dict:
        """Queue policy letting the subscriber's own rule send to its queue."""
        rule_arn = (
            f"arn:aws:events:{self.region}:{subscriber.account}:rule/"
            f"{subscriber.bus_name}/{subscriber.local_rule_name}"
        )
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "allow-own-bus-rule",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": subscriber.queue_arn(),
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
                }
            ],
        }


def parse(document: dict) -> Topology:
    region = document["region"]
    namespace = document["namespace"]
    services = {
        name: ServiceSpec(
            name=name,
            account=str(spec["account"]),
            port=int(spec["port"]),
            publishes=tuple(spec.get("publishes", ())),
            subscribes=tuple(spec.get("subscribes", ())),
            namespace=namespace,
            region=region,
        )
        for name, spec in document["services"].items()
    }
    hub_service = document["hub"]["service"]
    if hub_service not in services:
        raise TopologyError(f"hub service {hub_service!r} is not declared")
    topology = Topology(
        region=region,
        namespace=namespace,
        hub=services[hub_service],
        hub_bus_name=document["hub"]["bus"],
        queues=QueuePolicy(**document["queues"]),
        services=services,
    )
    _check(topology)
    return topology


def _check(topology: Topology) -> None:
    accounts = [s.account for s in topology.services.values() if s is not topology.hub]
    if len(accounts) != len(set(accounts)):
        raise TopologyError("two services share an AWS account")
    published = topology.event_types
    if len(published) != len(set(published)):
        raise TopologyError("an event type has more than one producer")
    for spec in topology.subscribers:
        for event_type in spec.subscribes:
            if event_type not in published:
                raise TopologyError(f"{spec.name} subscribes to {event_type!r}, which no one publishes")


def load(path: str | Path | None = None) -> Topology:
    """Load a topology file; without a path, the one shipped with the SDK."""
    if path is None:
        return default()
    return parse(yaml.safe_load(Path(path).read_text()))


@functools.cache
def default() -> Topology:
    text = resources.files("causeway").joinpath(TOPOLOGY_FILE).read_text()
    return parse(yaml.safe_load(text))


if __name__ == "__main__":  # a readable dump for humans: python -m causeway.topology
    t = default()
    print(json.dumps({e: [c.name for c in t.consumers_of(e)] for e in t.event_types}, indent=2))
