"""Trace context across the bus, following OpenTelemetry's messaging conventions.

- `create`: a PRODUCER span when a unit of work stages an event; its context is
  stamped into the envelope (`traceparent`/`tracestate`), so the trace survives
  the outbox however late the relay runs.
- `publish`: one PRODUCER span per relayed event, a child of its `create` span
  (same trace); the PutEvents call itself runs under the batch's first one.
- `process`: the consumer's CONSUMER span, a child of the `create` span that
  produced the event; events the handler publishes continue the same trace.
Background polling (long polls, idle outbox checks, readiness probes) is kept
out of traces with `quiet()`, so an idle stack exports nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import Span, SpanKind

tracer = trace.get_tracer("causeway.messaging")

quiet = suppress_instrumentation  # no spans for what happens inside

SYSTEM_BUS = "aws_eventbridge"
SYSTEM_QUEUE = "aws_sqs"


def _attributes(system: str, operation: str, destination: str, event_type: str, event_id: str) -> dict:
    return {
        "messaging.system": system,
        "messaging.operation": operation,
        "messaging.destination.name": destination,
        "messaging.message.id": event_id,
        "causeway.event.type": event_type,
    }


@contextmanager
def creating(event_type: str, event_id: str, *, destination: str) -> Iterator[dict[str, str]]:
    """Span of staging an event; yields the trace headers to stamp into its envelope."""
    with tracer.start_as_current_span(
        f"{event_type} create",
        kind=SpanKind.PRODUCER,
        attributes=_attributes(SYSTEM_BUS, "create", destination, event_type, event_id),
    ):
        headers: dict[str, str] = {}
        propagate.inject(headers)
        yield headers


def start_publish(event_type: str, event_id: str, trace_headers: dict[str, str], *, destination: str) -> Span:
    return tracer.start_span(
        f"{event_type} publish",
        context=propagate.extract(trace_headers),
        kind=SpanKind.PRODUCER,
        attributes=_attributes(SYSTEM_BUS, "publish", destination, event_type, event_id),
    )


@contextmanager
def processing(event_type: str, event_id: str, trace_headers: dict[str, str], *, queue: str, producer: str):
    with tracer.start_as_current_span(
        f"{event_type} process",
        context=propagate.extract(trace_headers),
        kind=SpanKind.CONSUMER,
        attributes={
            **_attributes(SYSTEM_QUEUE, "process", queue, event_type, event_id),
            "causeway.event.producer": producer,
        },
    ) as span:
        yield span
