"""Inventory's settings on top of the SDK's common keys."""

from __future__ import annotations

from pydantic import Field, model_validator

from causeway.config import Settings


class InventorySettings(Settings):
    seed_products: bool | None = Field(default=None, description="Seed the demo catalogue; default: dev/test only")

    @model_validator(mode="after")
    def _inventory_defaults(self) -> InventorySettings:
        if self.seed_products is None:
            self.seed_products = self.is_dev_or_test
        return self
