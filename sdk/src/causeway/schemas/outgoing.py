"""The error a producer gets for an event that breaks its own contract (kept apart: it needs the web stack)."""

from __future__ import annotations

from causeway.errors import AppError


class OutgoingEventInvalid(AppError):
    """A producer built an event that breaks its own contract: a programming error.

    It is raised before the event reaches the outbox, so the transaction
    never commits; a request fails with 500 (the client did nothing wrong it
    could fix), a handler is retried and ends in the dead-letter queue.
    """

    status, code = 500, "outgoing_event_invalid"
