"""Products as the end-to-end tests see them: inventory owns them, orders prices from its own cached copy."""

from __future__ import annotations

import uuid

import httpx

from tests.support.api import Api
from tests.support.polling import eventually

CATALOGUE_SECONDS = 5.0  # the contract's deadline, which ProductUpserted reaching orders' cache is part of


def inventory_admin(api: Api) -> httpx.Client:
    """inventory as the seeded admin: only admins change products."""
    return api.as_user("inventory", "admin@example.com")


def stock_of(api: Api, sku: str) -> int:
    response = api.client("inventory").get(f"/products/{sku}")
    assert response.status_code == 200, response.text
    return response.json()["stock"]


def in_orders_catalogue(api: Api, sku: str, *, price: int | None = None, timeout: float = CATALOGUE_SECONDS) -> None:
    """Wait until orders' catalogue cache has the product (at `price`, when given): orders prices only from it."""
    cached = api.client("orders")

    def known() -> None:
        entry = cached.get(f"/catalogue/{sku}")
        assert entry.status_code == 200, entry.text
        assert price is None or entry.json()["unitPrice"] == price, entry.text

    eventually(known, timeout=timeout)


def new_product(
    api: Api,
    admin: httpx.Client | None = None,
    *,
    price: int,
    stock: int = 10,
    currency: str = "USD",
    timeout: float = CATALOGUE_SECONDS,
) -> str:
    """A product of the test's own, once orders' catalogue cache knows it (through ProductUpserted).

    `admin` is an inventory client of the admin's, for a test that makes several
    products with one token; without it, one is signed in for this product.
    """
    if admin is None:
        admin = inventory_admin(api)
    sku = f"SKU-T{uuid.uuid4().hex[:10].upper()}"
    product = {"name": f"Test {sku}", "unitPrice": price, "currency": currency, "stock": stock}
    response = admin.put(f"/products/{sku}", json=product)
    assert response.status_code == 201, response.text
    assert response.json() == {"sku": sku, **product}
    in_orders_catalogue(api, sku, price=price, timeout=timeout)
    return sku
