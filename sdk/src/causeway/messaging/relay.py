"""The outbox relay: sends committed events to the central bus.

Guarantees:
- at least once: a row is marked published only after EventBridge accepted it;
  a crash in between re-sends it with the same eventId, and consumers
  deduplicate on that id;
- per-aggregate order: a batch holds at most one event of an aggregate, and an
  aggregate's next event is sent only once its predecessor was accepted;
- partial failures: only the entries EventBridge rejected are sent again;
- a bus created anew (LocalStack restarted: it keeps nothing, so whatever its
  queues held is gone) gets the events published into the old one again, from
  `replay_seconds` back at most; consumers skip those they already applied.

It wakes when a unit of work commits events, or every `idle_seconds` to pick up
rows written by another process; failures back off exponentially.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError
from opentelemetry import trace
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from tenacity import RetryError, Retrying, retry_if_exception, wait_exponential_jitter

from causeway.db import begin_read_only
from causeway.messaging import tracing
from causeway.messaging.models import OutboxMessage, RelayState

log = logging.getLogger("causeway.relay")

MAX_BATCH_ENTRIES = 10  # PutEvents accepts at most 10 entries
MAX_BATCH_BYTES = 256 * 1024  # and at most 256 KB in total
LOOKAHEAD = 200
CONFIRM_AFTER_IDLE_SECONDS = 2.0
STATIC_GENERATION = "static"  # no way to describe the bus: assume it is never re-created


@dataclass(frozen=True)
class OutgoingEntry:
    outbox_id: int
    event_id: str
    event_type: str
    detail: str

    def trace_headers(self) -> dict[str, str]:
        metadata = json.loads(self.detail).get("metadata", {})
        return {k: metadata[k] for k in ("traceparent", "tracestate") if metadata.get(k)}


class EventBridgePublisher:
    """Puts outbox entries on the central bus, by ARN, from the producer's account."""

    def __init__(
        self, client, *, bus_arn: str, source: str, account: str | None = None, bus_reader=None
    ) -> None:
        self._client = client
        self._bus_arn = bus_arn
        self._source = source
        self._account = account
        self._bus_reader = bus_reader  # describes the bus; None: assume it is provisioned

    def destination_generation(self) -> str | None:
        """Which incarnation of the central bus is there, once its policy lets this account in; else None.

        Provisioning grants that last, once every route exists. An event put
        before (LocalStack starting, or restarted and re-provisioning) would be
        accepted and dropped, so the relay waits for this instead. The answer
        is the bus's creation time: it changes only when the bus is created anew.
        """
        if self._bus_reader is None:
            return STATIC_GENERATION
        try:
            bus = self._bus_reader.describe_event_bus(Name=self._bus_arn)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                return None
            raise
        statements = json.loads(bus.get("Policy") or "{}").get("Statement", [])
        if not any(str(self._account) in json.dumps(s.get("Principal", "")) for s in statements):
            return None
        created = bus.get("CreationTime")
        return created.isoformat() if created else STATIC_GENERATION

    @property
    def destination(self) -> str:
        return self._bus_arn

    def put(self, entries: Sequence[OutgoingEntry]) -> dict[int, str]:
        """Send one batch; return the rejected entries' outbox ids with their error.

        Each entry gets a publish span in its own trace; the PutEvents call runs
        under the first, so it never starts a trace of its own.
        """
        destination = self._bus_arn.rsplit("/", 1)[-1]
        spans = [
            tracing.start_publish(e.event_type, e.event_id, e.trace_headers(), destination=destination)
            for e in entries
        ]
        try:
            with trace.use_span(spans[0], end_on_exit=False):
                failed = self._put(entries)
        except Exception as error:
            for span in spans:
                span.record_exception(error)
                span.set_status(trace.StatusCode.ERROR)
            raise
        finally:
            for span in spans:
                span.end()
        return failed

    def _put(self, entries: Sequence[OutgoingEntry]) -> dict[int, str]:
        response = self._client.put_events(
            Entries=[
                {
                    "EventBusName": self._bus_arn,
                    "Source": self._source,
                    "DetailType": e.event_type,
                    "Detail": e.detail,
                }
                for e in entries
            ]
        )
        if not response.get("FailedEntryCount"):
            return {}
        return {
            entry.outbox_id: f"{result.get('ErrorCode')}: {result.get('ErrorMessage')}"
            for entry, result in zip(entries, response["Entries"], strict=True)
            if result.get("ErrorCode")
        }


class PartialFailure(Exception):
    """Some entries were rejected; they stay pending and are retried after a backoff."""


class DestinationNotReady(Exception):
    """The central bus is not provisioned (yet, or again after an emulator restart)."""


@dataclass
class RelayStats:
    """What this relay sent, by event type (exported at /metrics)."""

    published: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    last_error: str | None = None


def select_batch(pending: Sequence) -> list:
    """The oldest events, at most one per aggregate, within PutEvents' limits.

    `pending` holds outbox rows (anything with `aggregate_id`, `event_type`, `detail`), oldest first.
    """
    batch: list = []
    seen_aggregates: set[str] = set()
    size = 0
    for row in pending:
        if row.aggregate_id in seen_aggregates:
            continue  # its predecessor must be accepted first
        seen_aggregates.add(row.aggregate_id)
        entry_size = len(row.detail.encode()) + len(row.event_type) + 64
        if batch and size + entry_size > MAX_BATCH_BYTES:
            break
        batch.append(row)
        size += entry_size
        if len(batch) == MAX_BATCH_ENTRIES:
            break
    return batch


class OutboxRelay:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        publisher: EventBridgePublisher,
        idle_seconds: float = 5.0,
        max_backoff_seconds: float = 30.0,
        bus_check_seconds: float = 30.0,
        replay_seconds: float = 3600.0,
    ) -> None:
        self._sessions = sessions
        self._publisher = publisher
        self._idle_seconds = idle_seconds
        self._max_backoff = max_backoff_seconds
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = RelayStats()
        self._confirmed_at: float | None = None
        self._bus_check_seconds = bus_check_seconds
        self._replay_seconds = replay_seconds
        self._generation: str | None = None

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()  # ends any wait
        if self._thread:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Called after a unit of work committed events."""
        self._wake.set()

    # -- work ------------------------------------------------------------------
    def publish_pending(self) -> int:
        """Send every pending event; raise PartialFailure if some were rejected."""
        sent = 0
        while not self._stopping.is_set():
            # Even with nothing to send, look now and then whether the bus was re-created.
            self._check_destination(within=self._bus_check_seconds)
            pending = self._read_pending()
            if not pending:
                return sent
            accepted: list[OutgoingEntry] = []
            try:
                # Send every batch this read allows before reading again: an aggregate's
                # next event becomes eligible once its predecessor was accepted.
                while pending and not self._stopping.is_set():
                    batch = select_batch(pending)
                    entries = [OutgoingEntry(r.id, r.event_id, r.event_type, r.detail) for r in batch]
                    if self._check_destination(within=CONFIRM_AFTER_IDLE_SECONDS):
                        # Older events are pending again and go first; what this read sent
                        # went to the bus that is gone, so it is not marked sent either.
                        accepted.clear()
                        break
                    try:
                        failed = self._publisher.put(entries)
                    except Exception:
                        self._confirmed_at = None  # the bus may be gone (emulator restarted): look again
                        raise
                    self._confirmed_at = time.monotonic()
                    accepted += [e for e in entries if e.outbox_id not in failed]
                    if failed:
                        self._record_failures(entries, failed)
                        reason = next(iter(failed.values()))
                        raise PartialFailure(f"{len(failed)} of {len(entries)} entries rejected: {reason}")
                    done = {r.id for r in batch}
                    pending = [r for r in pending if r.id not in done]
            finally:
                # One commit marks all this read sent, not one (and one fsync) per batch:
                # sending never waits for it. Were the process killed before it, these
                # events are sent again with the same ids, and consumers skip them.
                self._mark_published(accepted)
            sent += len(accepted)
        return sent

    def _read_pending(self) -> list:
        """The oldest unsent rows, as plain rows (no ORM objects to build), read without the write lock."""
        with self._sessions() as session, tracing.quiet():  # idle checks are not worth a trace
            begin_read_only(session)
            return list(
                session.execute(
                    select(
                        OutboxMessage.id,
                        OutboxMessage.event_id,
                        OutboxMessage.event_type,
                        OutboxMessage.aggregate_id,
                        OutboxMessage.detail,
                    )
                    .where(OutboxMessage.published_at.is_(None))
                    .order_by(OutboxMessage.id)
                    .limit(LOOKAHEAD)
                )
            )

    def _check_destination(self, *, within: float) -> bool:
        """Raise unless the bus is ready; True when it is another bus than the one last seen.

        Asks only when the last answer (or accepted batch) is older than `within`:
        a busy relay talks to the bus every few milliseconds and would notice a
        restart through its own failed calls.
        """
        if self._confirmed_at is not None and time.monotonic() - self._confirmed_at < within:
            return False
        with tracing.quiet():  # a look at the bus is no hop of any event: not worth a trace
            generation = self._publisher.destination_generation()
        if generation is None:
            raise DestinationNotReady("the central bus is not provisioned yet")
        self._confirmed_at = time.monotonic()
        if generation == self._generation:
            return False
        self._adopt_generation(generation)
        self._generation = generation
        return True

    def _adopt_generation(self, generation: str) -> None:
        """Record the bus's generation; if it changed, re-queue what went into the old one."""
        now = datetime.now(UTC)
        with self._sessions() as session, session.begin():
            state = session.scalar(
                select(RelayState).where(RelayState.destination == self._publisher.destination).with_for_update()
            )
            if state is None:
                session.add(RelayState(destination=self._publisher.destination, bus_generation=generation, seen_at=now))
                return
            if state.bus_generation == generation:
                return
            # Everything published into the old bus since we first saw it (and within the
            # replay window) may have been waiting in a queue that no longer exists.
            since = max(state.seen_at, now - timedelta(seconds=self._replay_seconds))
            replayed = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.published_at.is_not(None), OutboxMessage.published_at >= since)
                .values(published_at=None)
            ).rowcount
            state.bus_generation, state.seen_at = generation, now
        if replayed:
            log.warning(
                "the central bus was created anew (emulator restarted?): sending again %d events published since %s",
                replayed,
                since.isoformat(),
            )

    def _mark_published(self, entries: Sequence[OutgoingEntry]) -> None:
        if not entries:
            return
        with self._sessions() as session, session.begin():
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([e.outbox_id for e in entries]))
                .values(published_at=datetime.now(UTC), attempts=OutboxMessage.attempts + 1)
            )
        for entry in entries:
            self.stats.published[entry.event_type] += 1

    def _record_failures(self, entries: Sequence[OutgoingEntry], failed: dict[int, str]) -> None:
        with self._sessions() as session, session.begin():
            for outbox_id, error in failed.items():
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == outbox_id)
                    .values(attempts=OutboxMessage.attempts + 1, last_error=error[:2000])
                )
        for entry in entries:
            if entry.outbox_id in failed:
                self.stats.failed[entry.event_type] += 1

    def _run(self) -> None:
        retrying = Retrying(
            wait=wait_exponential_jitter(initial=0.2, max=self._max_backoff),
            retry=retry_if_exception(lambda _error: not self._stopping.is_set()),
            sleep=self._interruptible_sleep,
            before_sleep=self._log_retry,
            reraise=False,
        )
        while not self._stopping.is_set():
            self._wake.clear()
            with contextlib.suppress(RetryError):  # raised only when stopping
                retrying(self.publish_pending)
            self._wake.wait(self._idle_seconds)

    def _interruptible_sleep(self, seconds: float) -> None:
        # A commit of new events (wake) or a stop cuts the backoff short.
        self._wake.wait(seconds)
        self._wake.clear()

    def _log_retry(self, state) -> None:
        error = state.outcome.exception()
        self.stats.last_error = repr(error)
        if isinstance(error, DestinationNotReady):  # LocalStack still provisioning: expected at start
            log.info("outbox relay waits for the central bus, next look in %.1fs", state.next_action.sleep)
            return
        log.warning("outbox relay failed, retrying in %.1fs: %r", state.next_action.sleep, error)

