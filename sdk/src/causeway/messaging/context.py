"""Correlation and causation carried implicitly through a request or a handler.

An HTTP request starts a correlation; every event it publishes carries it, and
every event published while handling that event carries it on, with the handled
event as cause.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class MessageContext:
    correlation_id: str
    causation_id: str | None = None  # the event being handled, if any
    event_type: str | None = None


_current: ContextVar[MessageContext | None] = ContextVar("causeway_message_context", default=None)


def current() -> MessageContext | None:
    return _current.get()


@contextmanager
def bound(context: MessageContext) -> Iterator[MessageContext]:
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def new_correlation_id() -> str:
    return str(uuid.uuid4())
