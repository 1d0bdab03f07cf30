"""The demo catalogue of dev and tests.

Seeded through the same upsert as `PUT /products/{sku}`, so ProductUpserted
fills orders' catalogue cache like any other product. A product that already
exists is left alone, so a restart never resets stock that orders consumed.
"""

from __future__ import annotations

from causeway.service import Runtime
from causeway_inventory import service
from causeway_inventory.settings import InventorySettings

DEMO_PRODUCTS = [
    # sku, name, unit price (minor units), currency, stock
    ("SKU-BOOK", "Book", 1200, "USD", 100),
    ("SKU-MUG", "Mug", 800, "USD", 100),
    ("SKU-LAMP", "Lamp", 4500, "USD", 100),
]


def seed(runtime: Runtime) -> None:
    settings: InventorySettings = runtime.settings  # type: ignore[assignment]
    if not settings.seed_products:
        return
    for sku, name, unit_price, currency, stock in DEMO_PRODUCTS:
        with runtime.unit_of_work() as uow:
            if service.get_product(uow, sku=sku) is None:
                service.upsert_product(uow, sku=sku, name=name, unit_price=unit_price, currency=currency, stock=stock)
                uow.commit()
