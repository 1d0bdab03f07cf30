"""Orders' HTTP API: place an order, read your orders (admins read all)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from causeway.api import ApiInput, ApiModel
from causeway.auth import CUSTOMER_SCOPE, Principal, authenticated, require_scope
from causeway.errors import NotFound
from causeway.service import Runtime, get_runtime, unit_of_work
from causeway.uow import UnitOfWork
from causeway_orders import caches, service
from causeway_orders.models import CatalogueEntry, Order

router = APIRouter(tags=["orders"])

MAX_LINES = 100

Uow = Annotated[UnitOfWork, Depends(unit_of_work)]
Customer = Annotated[Principal, Depends(require_scope(CUSTOMER_SCOPE))]
Authenticated = Annotated[Principal, Depends(authenticated)]


class ItemIn(ApiInput):
    sku: str = Field(min_length=1, max_length=64)
    # Strict: "2" or 2.5 is refused rather than coerced.
    quantity: int = Field(ge=1, le=service.MAX_QUANTITY, strict=True)


Channel = Literal["web", "mobile", "api"]


class AddressIn(ApiInput):
    """A shipping address, as OrderPlaced v2 carries it."""

    line1: str = Field(min_length=1, max_length=200, description="Street and number")
    line2: str | None = Field(default=None, max_length=200, description="Flat, floor, building")
    city: str = Field(min_length=1, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code, e.g. PT")


class OrderIn(ApiInput):
    # Prices are never taken from the client: they come from the catalogue cache.
    items: list[ItemIn] = Field(min_length=1, max_length=MAX_LINES)
    channel: Channel = Field(default="web", description="Where the order is placed: web, mobile or api")
    shipping_address: AddressIn | None = Field(default=None, description="Where to ship it (optional)")


class LineOut(ApiModel):
    sku: str
    quantity: int
    unit_price: int


class AddressOut(ApiModel):
    line1: str
    line2: str | None = None
    city: str
    postal_code: str | None = None
    country: str


class OrderOut(ApiModel):
    id: str
    customer_id: str
    status: Literal["PENDING", "CONFIRMED", "CANCELLED"]
    items: list[LineOut]
    subtotal: int
    discount: int
    total: int
    currency: str
    plan: str
    cancellation_reason: str | None
    channel: Channel
    shipping_address: AddressOut | None
    created_at: datetime
    updated_at: datetime


def _out(order: Order) -> dict:
    return OrderOut(
        id=order.id,
        customer_id=order.customer_id,
        status=order.status,  # type: ignore[arg-type]
        items=[LineOut(sku=x.sku, quantity=x.quantity, unit_price=x.unit_price) for x in order.lines],
        subtotal=order.subtotal,
        discount=order.discount,
        total=order.total,
        currency=order.currency,
        plan=order.plan,
        cancellation_reason=order.cancellation_reason,
        channel=order.channel,  # type: ignore[arg-type]
        shipping_address=AddressOut.model_validate(order.shipping_address) if order.shipping_address else None,
        created_at=order.created_at,
        updated_at=order.updated_at,
    ).model_dump(mode="json", by_alias=True)


class QuoteOut(ApiModel):
    items: list[LineOut]
    subtotal: int
    discount: int
    total: int
    currency: str
    plan: str


class CatalogueEntryOut(ApiModel):
    sku: str
    name: str
    unit_price: int
    currency: str
    occurred_at: datetime


def _entry(entry: CatalogueEntry) -> dict:
    return CatalogueEntryOut(
        sku=entry.sku,
        name=entry.name,
        unit_price=entry.unit_price,
        currency=entry.currency,
        occurred_at=entry.occurred_at,
    ).model_dump(mode="json", by_alias=True)


@router.post(
    "/orders",
    status_code=202,
    summary="Place an order (customers); it is PENDING until stock and payment settle it",
)
def place_order(
    body: OrderIn,
    principal: Customer,
    uow: Uow,
    runtime: Runtime = Depends(get_runtime),
) -> dict:
    address = body.shipping_address.model_dump(by_alias=True, exclude_none=True) if body.shipping_address else None
    order = service.place_order(
        uow,
        customer_id=principal.sub,
        items=[(item.sku, item.quantity) for item in body.items],
        channel=body.channel,
        shipping_address=address,
        event_version=runtime.settings.order_placed_version,  # type: ignore[attr-defined]
    )
    uow.commit()
    return _out(order)


@router.post("/orders/quote", summary="What an order would cost you now (nothing is written)")
def quote(body: OrderIn, principal: Customer, uow: Uow) -> dict:
    priced = service.price_items(
        uow, customer_id=principal.sub, items=[(item.sku, item.quantity) for item in body.items]
    )
    return QuoteOut(
        items=[LineOut(sku=x.sku, quantity=x.quantity, unit_price=x.unit_price) for x in priced.lines],
        subtotal=priced.subtotal,
        discount=priced.discount,
        total=priced.total,
        currency=priced.currency,
        plan=priced.plan,
    ).model_dump(by_alias=True)


@router.get("/orders/{order_id}", summary="One order: your own, or any for admins")
def get_order(order_id: str, principal: Authenticated, uow: Uow) -> dict:
    order = service.get_order(uow, order_id=order_id)
    # Another customer's order is indistinguishable from one that does not exist.
    if order is None or not principal.can_see(order.customer_id):
        raise NotFound("no such order", code="order_not_found")
    return _out(order)


@router.get("/orders", summary="Your orders, newest first (admins: everyone's)")
def list_orders(
    principal: Authenticated,
    uow: Uow,
    status: Literal["PENDING", "CONFIRMED", "CANCELLED"] | None = None,
    customer_id: str | None = Query(default=None, alias="customerId", description="Admins only: one customer"),
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[dict]:
    if not principal.is_admin:
        customer_id = principal.sub  # a customer's filter is always themselves
    orders = service.list_orders(uow, customer_id=customer_id, status=status, limit=limit)
    return [_out(order) for order in orders]


# The local copy of inventory's catalogue, as orders prices from it (public, like inventory's).
catalogue_router = APIRouter(tags=["catalogue cache"])


@catalogue_router.get("/catalogue", summary="Orders' local copy of the catalogue (public)")
def list_catalogue(uow: Uow) -> list[dict]:
    return [_entry(entry) for entry in caches.catalogue(uow)]


@catalogue_router.get("/catalogue/{sku}", summary="One sku as orders prices it (public)")
def get_catalogue_entry(sku: str, uow: Uow) -> dict:
    entry = caches.catalogue_entry(uow, sku=sku)
    if entry is None:
        raise NotFound(f"orders does not know sku {sku!r} (yet)", code="unknown_sku")
    return _entry(entry)
