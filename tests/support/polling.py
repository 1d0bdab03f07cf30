"""Wait for an eventual outcome by polling with a deadline, never a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class NotYet(AssertionError):
    pass


def eventually(probe: Callable[[], T], *, timeout: float = 5.0, interval: float = 0.05) -> T:
    """Call `probe` until it neither raises AssertionError nor returns a falsy value.

    A probe either asserts and returns None, or returns what it found (a bool,
    a list, a record): False, an empty list or 0 mean "not yet". Returns the
    probe's last value; on timeout re-raises its last assertion.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = probe()
            if value is not None and not value:
                raise NotYet(f"probe returned {value!r}")
            return value
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
        time.sleep(interval)


def within(deadline: float, probe: Callable[[], T], *, interval: float = 0.05) -> T:
    """`eventually` against an absolute `time.monotonic()` deadline shared by several checks.

    A flow's promise ("within 5 s the wallet, the plan and the notification
    are all there") is one deadline measured from the action, not 5 s per check.
    """
    return eventually(probe, timeout=max(deadline - time.monotonic(), 0.0), interval=interval)
