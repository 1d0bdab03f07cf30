"""The queue consumer: applies each delivered event exactly once.

Per message: parse the envelope, open a unit of work, skip it if the inbox
already holds its eventId, else record it in the inbox and run the handler in
the same transaction, commit, and only then delete the message. A handler
that raises leaves the message on the queue; it comes back after a backoff
and, after the queue's maxReceiveCount, the redrive policy moves it to the
dead-letter queue. A message that is not a Causeway event at all can never
succeed, so it goes to the dead-letter queue at once, with the reason.

With a schema catalogue (`contracts`, as every service has), an event's data
is first validated against the schema version its envelope declares and
brought to the version its handler is written for (upcast when older; a
newer one must also be valid in the handler's version). An event that fails
that, or names an unknown version, can never succeed either: it goes to the
dead-letter queue at once with the validation errors (outcome `invalid`),
before the inbox or the handler see it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from opentelemetry import trace
from sqlalchemy.exc import IntegrityError

from causeway import metrics
from causeway.messaging import context as message_context
from causeway.messaging import tracing
from causeway.messaging.envelope import Event, InvalidEnvelope, from_sqs_body
from causeway.messaging.models import InboxRecord
from causeway.uow import UnitOfWork, UnitOfWorkFactory

if TYPE_CHECKING:
    from causeway.schemas import Catalogue

log = logging.getLogger("causeway.consumer")

Handler = Callable[[Event, UnitOfWork], None]


class HandlerRegistry:
    """Event handlers of one service, by event type, each written for one schema version."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._versions: dict[str, int] = {}

    def on(self, event_type: str, *, version: int = 1) -> Callable[[Handler], Handler]:
        """Register a handler of `event_type` whose `event.data` is in schema `version`.

        Older events reach it upcast to `version`, newer ones as they are when
        they are also valid in `version`.
        """
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError(f"schema version of the {event_type} handler must be a positive integer, not {version!r}")

        def register(handler: Handler) -> Handler:
            if event_type in self._handlers:
                raise ValueError(f"a handler for {event_type} is already registered")
            self._handlers[event_type] = handler
            self._versions[event_type] = version
            return handler

        return register

    def get(self, event_type: str) -> Handler | None:
        return self._handlers.get(event_type)

    def version(self, event_type: str) -> int:
        """The schema version the handler of `event_type` is written for."""
        return self._versions.get(event_type, 1)

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(self._handlers)


class Outcome(StrEnum):
    applied = "applied"
    duplicate = "duplicate"
    failed = "failed"
    dead_lettered = "dead_lettered"
    invalid = "invalid"  # failed schema validation: dead-lettered at once


@dataclass
class ConsumerStats:
    """What this consumer did, by event type and outcome (exported at /metrics)."""

    by_type: Counter[tuple[str, str]] = field(default_factory=Counter)
    # (event type, from version, to version) of every event upcast for its handler
    upcasts: Counter[tuple[str, int, int]] = field(default_factory=Counter)

    def count(self, event_type: str, outcome: Outcome) -> None:
        self.by_type[(event_type, outcome.value)] += 1

    def total(self, outcome: Outcome) -> int:
        return sum(n for (_, o), n in self.by_type.items() if o == outcome.value)

    @property
    def applied(self) -> int:
        return self.total(Outcome.applied)

    @property
    def duplicate(self) -> int:
        return self.total(Outcome.duplicate)

    @property
    def failed(self) -> int:
        return self.total(Outcome.failed)

    @property
    def dead_lettered(self) -> int:
        return self.total(Outcome.dead_lettered)

    @property
    def invalid(self) -> int:
        return self.total(Outcome.invalid)


class QueueConsumer:
    def __init__(
        self,
        *,
        sqs,
        queue_url: str,
        dead_letter_url: str,
        registry: HandlerRegistry,
        units_of_work: UnitOfWorkFactory,
        wait_seconds: int = 20,
        retry_base_seconds: float = 1.0,
        max_retry_seconds: int = 300,
        contracts: Catalogue | None = None,
    ) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._dead_letter_url = dead_letter_url
        self._registry = registry
        self._units_of_work = units_of_work
        self._wait_seconds = wait_seconds
        self._retry_base = retry_base_seconds
        self._max_retry = max_retry_seconds
        self._contracts = contracts  # None: data is handed over unchecked
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = ConsumerStats()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="queue-consumer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        # Let a long poll in flight return: what it brings is handed back to
        # the queue at once (see poll_once) instead of staying invisible, to
        # this stopped process, for the whole visibility timeout.
        self._stopping.set()
        if self._thread:
            self._thread.join(self._wait_seconds + 2)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once()
            except Exception as error:  # LocalStack restarting, network down: back off, go on
                log.warning("receiving from %s failed: %r", self._queue_url, error)
                self._stopping.wait(2.0)

    def poll_once(self) -> int:
        with tracing.quiet():  # a long poll every few seconds is not worth a trace
            response = self._sqs.receive_message(
                QueueUrl=self._queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=self._wait_seconds,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )
        messages = response.get("Messages", [])
        for index, message in enumerate(messages):
            if self._stopping.is_set():
                self._release(messages[index:])
                break
            self.handle(message)
        return len(messages)

    def _release(self, messages: list[dict]) -> None:
        """Make received, unhandled messages visible again right away (we are stopping)."""
        for message in messages:
            try:
                self._sqs.change_message_visibility(
                    QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            except Exception as error:  # they come back after the visibility timeout anyway
                log.warning("could not release a message: %r", error)

    def handle(self, message: dict) -> Outcome:
        try:
            event = from_sqs_body(message["Body"])
        except InvalidEnvelope as error:
            return self._finish(message, "unknown", self._dead_letter(message, str(error)))
        handler = self._registry.get(event.type)
        if handler is None:
            # Routing sent us a type we do not handle: a topology mismatch, not
            # something a retry can fix.
            return self._finish(message, event.type, self._dead_letter(message, f"no handler for {event.type}"))
        with tracing.processing(
            event.type,
            event.event_id,
            event.metadata.model_dump(include={"traceparent", "tracestate"}, exclude_none=True),
            queue=self._queue_url.rsplit("/", 1)[-1],
            producer=event.metadata.producer,
        ) as span:
            if self._contracts is not None:
                try:
                    event = self._conform(event, self._contracts)
                except Exception as error:  # SchemaError, or anything a broken upcaster raises
                    span.set_status(trace.StatusCode.ERROR, str(error)[:200])
                    span.set_attribute("causeway.outcome", Outcome.invalid.value)
                    reason = str(error) or error.__class__.__name__
                    return self._finish(message, event.type, self._dead_letter(message, reason, Outcome.invalid))
            started = time.perf_counter()
            try:
                outcome = self._apply(event, handler)
            except Exception as error:
                span.record_exception(error)
                span.set_status(trace.StatusCode.ERROR)
                log.exception("handling %s %s failed", event.type, event.event_id)
                self._retry_later(message)
                self.stats.count(event.type, Outcome.failed)
                return Outcome.failed
            finally:
                metrics.HANDLER_SECONDS.labels(event.type).observe(time.perf_counter() - started)
            span.set_attribute("causeway.outcome", outcome.value)
            return self._finish(message, event.type, outcome)

    def _conform(self, event: Event, contracts: Catalogue) -> Event:
        """The event with its data in the version its handler is written for."""
        declared, wanted = event.metadata.schema_version, self._registry.version(event.type)
        data = contracts.conform(event.type, declared, event.data, wanted)
        if declared < wanted:
            self.stats.upcasts[(event.type, declared, wanted)] += 1
        return event if data is event.data else event.model_copy(update={"data": data})

    def _apply(self, event: Event, handler: Handler) -> Outcome:
        context = message_context.MessageContext(
            correlation_id=event.metadata.correlation_id, causation_id=event.event_id, event_type=event.type
        )
        with self._units_of_work() as uow, message_context.bound(context):
            if uow.session.get(InboxRecord, event.event_id) is not None:
                return Outcome.duplicate
            uow.session.add(
                InboxRecord(event_id=event.event_id, event_type=event.type, received_at=datetime.now(UTC))
            )
            try:
                uow.session.flush()
                handler(event, uow)
                uow.commit()
                log.info("applied %s from %s", event.type, event.metadata.producer)
            except IntegrityError:
                # Another consumer applied the same event concurrently.
                uow.rollback()
                with self._units_of_work() as check:
                    if check.session.get(InboxRecord, event.event_id) is not None:
                        return Outcome.duplicate
                raise
        return Outcome.applied

    def _finish(self, message: dict, event_type: str, outcome: Outcome) -> Outcome:
        # Delete only after the effect committed (or was found already applied).
        self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
        self.stats.count(event_type, outcome)
        return outcome

    def _retry_later(self, message: dict) -> None:
        receives = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        delay = min(self._max_retry, int(self._retry_base * 2 ** (receives - 1)))
        try:
            self._sqs.change_message_visibility(
                QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=delay
            )
        except Exception as error:  # the queue's own visibility timeout still applies
            log.warning("could not reschedule message: %r", error)

    def dead_letter_depth(self) -> int | None:
        try:
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=self._dead_letter_url, AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
        except Exception:  # metrics must not fail because AWS is away
            return None
        return int(attributes["ApproximateNumberOfMessages"])

    def _dead_letter(self, message: dict, reason: str, outcome: Outcome = Outcome.dead_lettered) -> Outcome:
        log.error("dead-lettering message %s (%s): %s", message.get("MessageId"), outcome.value, reason)
        self._sqs.send_message(
            QueueUrl=self._dead_letter_url,
            MessageBody=message["Body"],
            MessageAttributes={
                "causeway-error": {"DataType": "String", "StringValue": reason[:1000]},
                "causeway-outcome": {"DataType": "String", "StringValue": outcome.value},
            },
        )
        return outcome
