"""Prometheus metrics at /metrics, the same set on every service.

Counters come from what the relay, the consumer and the introspector already
count (read at scrape time, so nothing is counted twice); backlog and
dead-letter depth are measured at scrape time; handler latency is a histogram.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

if TYPE_CHECKING:
    from causeway.service import Runtime

REGISTRY = CollectorRegistry()

HANDLER_SECONDS = Histogram(
    "causeway_handler_duration_seconds",
    "Time spent applying one event (inbox check, handler, commit).",
    ["event_type"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class RuntimeCollector(Collector):
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self):
        from causeway.messaging import tracing
        from causeway.messaging.models import OutboxMessage

        runtime = self.runtime
        published = CounterMetricFamily(
            "causeway_events_published", "Events accepted by the bus.", labels=["event_type"]
        )
        failed = CounterMetricFamily(
            "causeway_events_publish_failed", "Entries the bus rejected.", labels=["event_type"]
        )
        if runtime.relay:
            for event_type, n in runtime.relay.stats.published.items():
                published.add_metric([event_type], n)
            for event_type, n in runtime.relay.stats.failed.items():
                failed.add_metric([event_type], n)
        yield published
        yield failed

        consumed = CounterMetricFamily(
            "causeway_events_consumed",
            "Delivered events by outcome: applied, duplicate (skipped by the inbox), failed, dead_lettered, "
            "invalid (failed schema validation, dead-lettered at once).",
            labels=["event_type", "outcome"],
        )
        upcast = CounterMetricFamily(
            "causeway_events_upcast",
            "Delivered events upcast from an older schema version to their handler's.",
            labels=["event_type", "from_version", "to_version"],
        )
        if runtime.consumer:
            for (event_type, outcome), n in runtime.consumer.stats.by_type.items():
                consumed.add_metric([event_type, outcome], n)
            for (event_type, from_version, to_version), n in runtime.consumer.stats.upcasts.items():
                upcast.add_metric([event_type, str(from_version), str(to_version)], n)
        yield consumed
        yield upcast

        cache = CounterMetricFamily(
            "causeway_introspection_cache", "Token introspection cache lookups.", labels=["result"]
        )
        cache.add_metric(["hit"], runtime.introspector.hits)
        cache.add_metric(["miss"], runtime.introspector.misses)
        yield cache

        with tracing.quiet():
            if runtime.spec.publishes:
                with runtime.sessions() as session:
                    count, oldest = session.execute(
                        select(func.count(), func.min(OutboxMessage.created_at)).where(
                            OutboxMessage.published_at.is_(None)
                        )
                    ).one()
                yield GaugeMetricFamily("causeway_outbox_backlog", "Events committed, not yet sent.", value=count)
                age = time.time() - oldest.timestamp() if oldest else 0.0
                yield GaugeMetricFamily(
                    "causeway_outbox_oldest_age_seconds", "Age of the oldest unsent event.", value=age
                )
            if runtime.consumer:
                depth = runtime.consumer.dead_letter_depth()
                if depth is not None:
                    yield GaugeMetricFamily(
                        "causeway_dead_letter_queue_depth", "Messages in the dead-letter queue.", value=depth
                    )


def exposition() -> bytes:
    return generate_latest(REGISTRY)
