"""Proposed SDK changes, applied in the bench's own processes only, to measure them before anyone edits the SDK.

    python -m bench --experiment sqlite-normal,batch-delete,relay-drain

Each one patches the SDK in memory, in the processes the bench starts (its SDK
workers and, through `bench/sitecustomize/`, its services). Nothing here is
imported by the SDK or a service outside the bench; the figures of a run with
experiments are labelled as such in the table and the JSON.

- sqlite-normal: `PRAGMA synchronous=NORMAL` on SQLite (WAL). A commit no
  longer waits for an fsync (~8 ms on this machine's disk); still atomic and
  safe against a crashed process, but an OS crash or power cut may lose the
  last commits. Host mode only: PostgreSQL is untouched.
- batch-delete: the queue consumer deletes the messages of one receive with a
  single DeleteMessageBatch after handling them, instead of one DeleteMessage
  each (still only after each one's commit).
- relay-drain: the outbox relay sends every batch it can from one read of the
  outbox (LOOKAHEAD rows) before reading again, instead of re-reading 200 rows
  for every batch of 10 (per-aggregate order kept: an aggregate's next event
  becomes eligible once its predecessor was accepted).
"""

from __future__ import annotations

import os
import time

ENV = "BENCH_EXPERIMENTS"
KNOWN = ("sqlite-normal", "batch-delete", "relay-drain")


def parse(text: str | None) -> list[str]:
    names = [n.strip() for n in (text or "").split(",") if n.strip()]
    unknown = [n for n in names if n not in KNOWN]
    if unknown:
        raise SystemExit(f"unknown experiments {unknown}; known: {', '.join(KNOWN)}")
    return names


def apply(names: list[str] | None = None) -> list[str]:
    names = parse(os.environ.get(ENV)) if names is None else names
    for name in names:
        {
            "sqlite-normal": _sqlite_normal,
            "batch-delete": _batch_delete,
            "relay-drain": _relay_drain,
        }[name]()
    return names


def _sqlite_normal() -> None:
    from sqlalchemy import event

    from causeway import db

    original = db.create_db_engine

    def create_db_engine(url: str):
        engine = original(url)
        if engine.dialect.name == "sqlite":

            @event.listens_for(engine, "connect")
            def _synchronous_normal(dbapi_connection, _record):
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA synchronous=NORMAL")
                cursor.close()

        return engine

    db.create_db_engine = create_db_engine


def _batch_delete() -> None:
    from causeway.messaging import consumer

    cls = consumer.QueueConsumer
    original_poll = cls.poll_once

    def poll_once(self) -> int:
        self._bench_deletes = []
        try:
            return original_poll(self)
        finally:
            handles, self._bench_deletes = self._bench_deletes, None
            if handles:
                self._sqs.delete_message_batch(
                    QueueUrl=self._queue_url,
                    Entries=[{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles)],
                )

    def _finish(self, message: dict, event_type: str, outcome):
        pending = getattr(self, "_bench_deletes", None)
        if pending is None:
            self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
        else:
            pending.append(message["ReceiptHandle"])
        self.stats.count(event_type, outcome)
        return outcome

    cls.poll_once = poll_once
    cls._finish = _finish


def _relay_drain() -> None:
    from sqlalchemy import select

    from causeway.messaging import relay, tracing
    from causeway.messaging.models import OutboxMessage

    def publish_pending(self) -> int:
        sent = 0
        while not self._stopping.is_set():
            with self._sessions() as session, tracing.quiet():
                pending = session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.published_at.is_(None))
                    .order_by(OutboxMessage.id)
                    .limit(relay.LOOKAHEAD)
                ).all()
            if not pending:
                return sent
            while pending and not self._stopping.is_set():
                batch = relay.select_batch(pending)
                entries = [relay.OutgoingEntry(r.id, r.event_id, r.event_type, r.detail) for r in batch]
                if hasattr(self, "_confirm_destination"):  # the bus is provisioned (after a quiet spell)
                    self._confirm_destination()
                try:
                    failed = self._publisher.put(entries)
                except Exception:
                    self._confirmed_at = None
                    raise
                self._confirmed_at = time.monotonic()
                self._record(entries, failed)
                sent += len(entries) - len(failed)
                if failed:
                    raise relay.PartialFailure(
                        f"{len(failed)} of {len(entries)} entries rejected: {next(iter(failed.values()))}"
                    )
                done = {r.id for r in batch}
                pending = [r for r in pending if r.id not in done]
        return sent

    relay.OutboxRelay.publish_pending = publish_pending
