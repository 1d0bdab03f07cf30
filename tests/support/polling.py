"""Wait for an eventual outcome by polling with a deadline, never a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class NotYet(AssertionError):
    pass


def eventually(probe: Callable[[], T], *, timeout: float = 5.0, interval: float = 0.05) -> T:
    """Call `probe` until it returns without raising AssertionError (or a truthy value).

    Returns the probe's last value; on timeout re-raises its last assertion.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = probe()
            if value is not None and value is not True and not value and value != 0:
                raise NotYet(f"probe returned {value!r}")
            return value
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
        time.sleep(interval)
