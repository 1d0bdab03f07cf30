"""Billing's HTTP API: the caller's wallet and payments; admins see every payment."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from causeway.api import ApiInput, ApiModel
from causeway.auth import Principal, authenticated
from causeway.errors import NotFound
from causeway.service import unit_of_work
from causeway.uow import UnitOfWork
from causeway_billing import service
from causeway_billing.models import Payment, Wallet

router = APIRouter()

# The authenticated caller, and a unit of work for the request.
Caller = Annotated[Principal, Depends(authenticated)]
Uow = Annotated[UnitOfWork, Depends(unit_of_work)]



class WalletOut(ApiModel):
    customer_id: str
    balance: int = Field(description="Minor units of `currency`")
    currency: str
    updated_at: datetime


class TopUp(ApiInput):
    # Strict: "100" or 12.5 is refused rather than coerced.
    amount: int = Field(gt=0, le=service.MAX_TOP_UP, strict=True, description="Minor units to add")
    currency: str | None = Field(
        default=None, pattern=r"^[A-Z]{3}$", description="Optional; must be the wallet's currency"
    )


class PaymentOut(ApiModel):
    id: str
    customer_id: str
    purpose: str
    order_id: str | None = None
    subscription_id: str | None = None
    amount: int
    currency: str
    status: str = Field(description="CAPTURED or FAILED")
    reason: str | None = Field(default=None, description="Why it failed, e.g. insufficient_funds")
    created_at: datetime


def _wallet(wallet: Wallet) -> dict:
    return WalletOut.model_validate(wallet).model_dump(mode="json", by_alias=True)


def _payment(payment: Payment) -> dict:
    # Only the reference that applies (orderId or subscriptionId), and a reason only on failure.
    return PaymentOut.model_validate(payment).model_dump(mode="json", by_alias=True, exclude_none=True)


@router.get("/wallets/me", tags=["wallets"], summary="The caller's wallet")
def my_wallet(principal: Caller, uow: Uow) -> dict:
    return _wallet(service.get_wallet(uow, customer_id=principal.sub))


@router.post("/wallets/me/top-up", tags=["wallets"], summary="Add money to the caller's wallet")
def top_up(body: TopUp, principal: Caller, uow: Uow) -> dict:
    wallet = service.top_up(uow, customer_id=principal.sub, amount=body.amount, currency=body.currency)
    uow.commit()
    return _wallet(wallet)


@router.get(
    "/wallets/{customer_id}", tags=["wallets"], summary="A customer's wallet (own, or any for admins)"
)
def wallet_of(customer_id: str, principal: Caller, uow: Uow) -> dict:
    if not principal.can_see(customer_id):
        raise NotFound("no wallet for this customer", code="wallet_not_found")
    return _wallet(service.get_wallet(uow, customer_id=customer_id))


@router.get(
    "/payments", tags=["payments"], summary="The caller's payments, newest first (admins: everyone's)"
)
def list_payments(
    principal: Caller,
    uow: Uow,
    purpose: Literal["order", "subscription"] | None = None,
    order_id: Annotated[str | None, Query(alias="orderId")] = None,
    subscription_id: Annotated[str | None, Query(alias="subscriptionId")] = None,
    customer_id: Annotated[str | None, Query(alias="customerId", description="Admins only")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict]:
    if not principal.is_admin:
        if customer_id not in (None, principal.sub):
            return []  # another customer's payments do not exist for this caller
        customer_id = principal.sub
    payments = service.list_payments(
        uow,
        customer_id=customer_id,
        purpose=purpose,
        order_id=order_id,
        subscription_id=subscription_id,
        limit=limit,
    )
    return [_payment(p) for p in payments]


@router.get("/payments/{payment_id}", tags=["payments"], summary="One payment (own, or any for admins)")
def get_payment(payment_id: str, principal: Caller, uow: Uow) -> dict:
    payment = service.get_payment(uow, payment_id=payment_id)
    if payment is None or not principal.can_see(payment.customer_id):
        raise NotFound("no such payment", code="payment_not_found")
    return _payment(payment)
