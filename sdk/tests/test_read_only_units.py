"""Read-only units of work: on SQLite they read beside a writer instead of queueing for its lock."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from causeway.messaging.models import OutboxMessage
from causeway.uow import UnitOfWork


def unit(sessions, *, read_only: bool = False) -> UnitOfWork:
    return UnitOfWork(sessions=sessions, producer="orders", account="333333333333", read_only=read_only)


def outbox_size(uow: UnitOfWork) -> int:
    return uow.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_a_read_runs_while_a_writer_holds_the_write_lock_and_sees_the_last_commit(sessions):
    with unit(sessions) as before:
        before.publish("OrderPlaced", {"n": 1}, aggregate_id="a")
        before.commit()
    with unit(sessions) as writer:
        writer.publish("OrderPlaced", {"n": 2}, aggregate_id="a")
        writer.session.flush()  # the writer holds SQLite's write lock (BEGIN IMMEDIATE) from here on
        # Were the read to BEGIN IMMEDIATE as well, it would wait out the 30 s busy timeout and fail.
        with unit(sessions, read_only=True) as reader:
            assert outbox_size(reader) == 1  # the committed state, not the writer's pending row
        writer.commit()
    with unit(sessions, read_only=True) as reader:
        assert outbox_size(reader) == 2


def test_a_read_only_unit_refuses_to_publish_or_change_state(sessions):
    with unit(sessions, read_only=True) as reader, pytest.raises(RuntimeError, match="cannot publish"):
        reader.publish("OrderPlaced", {"n": 1}, aggregate_id="a")
    with unit(sessions) as writer:
        writer.publish("OrderPlaced", {"n": 1}, aggregate_id="a")
        writer.commit()
    with unit(sessions, read_only=True) as reader:
        row = reader.session.scalars(select(OutboxMessage)).one()
        row.attempts = 7
        with pytest.raises(RuntimeError, match="cannot change state"):
            reader.commit()
    with unit(sessions, read_only=True) as reader:
        assert reader.session.scalars(select(OutboxMessage)).one().attempts == 0
