"""Notifications' HTTP API: the caller's messages; admins see everyone's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from causeway.api import ApiModel
from causeway.auth import Principal, authenticated
from causeway.errors import NotFound
from causeway.service import unit_of_work
from causeway.uow import UnitOfWork
from causeway_notifications import service
from causeway_notifications.models import Notification

router = APIRouter(tags=["notifications"])

# The authenticated caller, and a unit of work for the request.
Caller = Annotated[Principal, Depends(authenticated)]
Uow = Annotated[UnitOfWork, Depends(unit_of_work)]


class NotificationOut(ApiModel):
    id: str
    customer_id: str
    kind: str
    subject: str
    body: str
    created_at: datetime


def _out(notification: Notification) -> dict:
    return NotificationOut.model_validate(notification).model_dump(mode="json", by_alias=True)


@router.get("/notifications", summary="The caller's notifications, newest first (admins: everyone's)")
def list_notifications(
    principal: Caller,
    uow: Uow,
    kind: Annotated[str | None, Query(max_length=64, description="e.g. welcome, order-confirmed")] = None,
    customer_id: Annotated[str | None, Query(alias="customerId", description="Admins only")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict]:
    if not principal.is_admin:
        if customer_id not in (None, principal.sub):
            return []  # another customer's notifications do not exist for this caller
        customer_id = principal.sub
    return [_out(n) for n in service.list_notifications(uow, customer_id=customer_id, kind=kind, limit=limit)]


@router.get("/notifications/{notification_id}", summary="One notification (own, or any for admins)")
def get_notification(notification_id: str, principal: Caller, uow: Uow) -> dict:
    notification = service.get_notification(uow, notification_id=notification_id)
    if notification is None or not principal.can_see(notification.customer_id):
        raise NotFound("no such notification", code="notification_not_found")
    return _out(notification)
