"""Inventory's HTTP API: the public catalogue, and product upserts for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from pydantic import Field

from causeway.api import ApiInput, ApiModel
from causeway.auth import Principal, require_admin
from causeway.errors import NotFound
from causeway.service import unit_of_work
from causeway.uow import UnitOfWork
from causeway_inventory import service
from causeway_inventory.models import Product

router = APIRouter(tags=["products"])

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
Uow = Annotated[UnitOfWork, Depends(unit_of_work)]
Admin = Annotated[Principal, Depends(require_admin)]
Sku = Annotated[str, Path(pattern=SKU_PATTERN, description="Stock-keeping unit, e.g. SKU-BOOK")]

MAX_PRICE = 100_000_000  # minor units: 1 000 000.00 in a two-decimal currency
MAX_STOCK = 1_000_000_000


class ProductIn(ApiInput):
    name: str = Field(min_length=1, max_length=200)
    # Money and counts are integers; strict, so "12" or 12.5 is refused rather than coerced.
    unit_price: int = Field(gt=0, le=MAX_PRICE, strict=True, description="Minor units")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD")
    stock: int = Field(ge=0, le=MAX_STOCK, strict=True, description="Units available")


class ProductOut(ApiModel):
    sku: str
    name: str
    unit_price: int
    currency: str
    stock: int


def _out(product: Product) -> dict:
    return ProductOut.model_validate(product).model_dump(by_alias=True)


@router.get("/products", summary="Every product with its available stock (public)")
def list_products(uow: Uow) -> list[dict]:
    return [_out(p) for p in service.list_products(uow)]


@router.get("/products/{sku}", summary="One product with its available stock (public)")
def get_product(sku: str, uow: Uow) -> dict:
    product = service.get_product(uow, sku=sku)
    if product is None:
        raise NotFound(f"no product {sku!r}", code="unknown_sku")
    return _out(product)


@router.put(
    "/products/{sku}",
    summary="Create or replace a product (admin); emits ProductUpserted",
    responses={200: {"description": "Updated"}, 201: {"description": "Created"}},
)
def put_product(
    sku: Sku,
    body: ProductIn,
    response: Response,
    _admin: Admin,
    uow: Uow,
) -> dict:
    product, created = service.upsert_product(
        uow, sku=sku, name=body.name, unit_price=body.unit_price, currency=body.currency, stock=body.stock
    )
    uow.commit()
    response.status_code = 201 if created else 200
    return _out(product)
