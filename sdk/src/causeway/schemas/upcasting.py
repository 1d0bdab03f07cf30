"""Upcasters: small functions that turn an event's data of version N into version N+1.

A consumer whose handler is written for version M receives older events
upcast step by step (N → N+1 → ... → M); each step is a pure function of the
data, registered here, next to the schemas it bridges. A step with no
upcaster leaves the data as it is (the versions differ only in what is
optional). `make schemas-check` upcasts every example and validates the
result against the next version, so a missing or wrong step fails CI.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

Data = dict[str, Any]
Upcaster = Callable[[Data], Data]


class Upcasters:
    """The upcasters of every event type, by the version they start from."""

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], Upcaster] = {}

    def register(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator: `fn(data)` turns `event_type` v`from_version` data into v`from_version + 1`."""

        def add(fn: Upcaster) -> Upcaster:
            key = (event_type, from_version)
            if key in self._steps:
                raise ValueError(f"an upcaster for {event_type} v{from_version} is already registered")
            self._steps[key] = fn
            return fn

        return add

    def step(self, event_type: str, from_version: int) -> Upcaster | None:
        return self._steps.get((event_type, from_version))

    def upcast(self, event_type: str, data: Data, from_version: int, to_version: int) -> Data:
        """`data` of `from_version` as `to_version`; the input is never modified."""
        if to_version < from_version:
            raise ValueError(f"cannot downcast {event_type} v{from_version} to v{to_version}")
        result = copy.deepcopy(data)
        for version in range(from_version, to_version):
            step = self.step(event_type, version)
            if step is not None:
                result = step(result)
        return result

    def __iter__(self):
        return iter(sorted(self._steps))


UPCASTERS = Upcasters()


@UPCASTERS.register("OrderPlaced", 1)
def order_placed_v1_to_v2(data: Data) -> Data:
    """v2 adds the sales channel: every order placed before it came through the web shop."""
    return {**data, "channel": data.get("channel", "web")}
