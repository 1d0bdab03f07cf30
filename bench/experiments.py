"""Proposed SDK changes, applied in the bench's own processes only, to measure them before anyone edits the SDK.

    python -m bench --experiment sqlite-normal,batch-delete

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
"""

from __future__ import annotations

import os

ENV = "BENCH_EXPERIMENTS"
KNOWN = ("sqlite-normal", "batch-delete")


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
