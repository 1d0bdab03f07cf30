"""Identity's event handlers: the `plan` claim follows the customer's subscription."""

from __future__ import annotations

from causeway.messaging.consumer import HandlerRegistry
from causeway.messaging.envelope import Event
from causeway.uow import UnitOfWork
from causeway_identity import accounts

handlers = HandlerRegistry()


@handlers.on("SubscriptionUpgraded")
@handlers.on("SubscriptionUpgradeFailed")
def record_plan(event: Event, uow: UnitOfWork) -> None:
    # Both carry the plan the customer is on after the attempt.
    accounts.set_plan(uow, user_id=event.data["customerId"], plan=event.data["plan"])
