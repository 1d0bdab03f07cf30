"""Orders' settings on top of the SDK's common keys."""

from __future__ import annotations

from pydantic import Field

from causeway.config import Settings


class OrdersSettings(Settings):
    # During a schema migration v1 and v2 producers coexist: an orders process
    # emits the OrderPlaced version it is told to (every consumer handles both).
    order_placed_version: int = Field(
        default=2, ge=1, le=2, description="OrderPlaced schema version this process emits (ORDER_PLACED_VERSION)"
    )
