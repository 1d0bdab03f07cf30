"""Customers as the end-to-end tests see them: a token, and a client per service."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field

import httpx

from tests.support.api import Api, ok
from tests.support.polling import eventually, within

REGISTRATION_SECONDS = 10.0  # generous: a test about something else waits for registration's effects


def claims(token: str) -> dict:
    """The payload of a JWT, unverified: what the token says, for assertions only."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@dataclass
class Person:
    api: Api
    email: str
    password: str | None
    id: str
    token: str
    _clients: dict[str, httpx.Client] = field(default_factory=dict, repr=False)

    def client(self, service: str) -> httpx.Client:
        if service not in self._clients:
            self._clients[service] = self.api.client(service, self.token)
        return self._clients[service]

    def fresh_token(self) -> str:
        return self.api.token(self.email, self.password)

    # -- reads, each asserting success ------------------------------------------------------
    def wallet(self) -> dict:
        return ok(self.client("billing").get("/wallets/me"))

    def balance(self) -> int:
        return self.wallet()["balance"]

    def payments(self, **params: str) -> list[dict]:
        return ok(self.client("billing").get("/payments", params=params))

    def payments_for(self, order_id: str) -> list[dict]:
        """The order's payments only: the filter is the service's, the check is ours."""
        return [p for p in self.payments(orderId=order_id) if p.get("orderId") == order_id]

    def subscription(self) -> dict:
        return ok(self.client("subscriptions").get("/subscriptions/me"))

    def upgrades(self) -> list[dict]:
        return ok(self.client("subscriptions").get("/subscriptions/me/upgrades"))

    def notifications(self, kind: str | None = None) -> list[dict]:
        found = ok(self.client("notifications").get("/notifications"))
        return [n for n in found if kind is None or n["kind"] == kind]

    def order(self, order_id: str) -> dict:
        return ok(self.client("orders").get(f"/orders/{order_id}"))

    # -- orders --------------------------------------------------------------------------------
    def place(self, *items: tuple[str, int], **fields: object) -> dict:
        """POST /orders of (sku, quantity) lines, accepted: it stays PENDING until the choreography settles it."""
        body = {"items": [{"sku": sku, "quantity": quantity} for sku, quantity in items], **fields}
        return ok(self.client("orders").post("/orders", json=body), 202)

    def settled(self, order_id: str, *, deadline: float) -> dict:
        """The order once confirmed or cancelled, by a deadline shared with the flow's other checks."""

        def probe() -> dict:
            order = self.order(order_id)
            assert order["status"] != "PENDING", order
            return order

        return within(deadline, probe)

    def notified(self, kind: str, order_id: str, *, deadline: float) -> dict:
        """The first `kind` notification that names the order, by the deadline."""

        def probe() -> dict:
            found = [n for n in self.notifications(kind) if order_id in n["subject"] + n["body"]]
            assert found, f"no {kind} notification for {order_id}"
            return found[0]

        return within(deadline, probe)


def sign_in(api: Api, email: str, password: str | None = None) -> Person:
    token = api.token(email, password)
    me = ok(httpx.get(f"{api.urls['identity']}/users/me", headers={"Authorization": f"Bearer {token}"}))
    return Person(api=api, email=email, password=password, id=me["id"], token=token)


def register(api: Api, *, prefix: str = "customer", name: str = "Test Customer") -> Person:
    """A brand-new customer; their wallet, subscription and welcome arrive through events."""
    email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
    password = "a-good-password"
    api.register(email, password=password, name=name)
    return sign_in(api, email, password)


def ready(person: Person, *, subscription: bool = False, welcome: bool = False) -> Person:
    """Wait until registration's effects a test relies on exist (UserRegistered reached those services).

    The wallet always: nothing can be spent before billing opens it. The plan
    and the welcome only when asked, so a flow that runs without subscriptions
    or notifications does not wait on them.
    """
    eventually(person.wallet, timeout=REGISTRATION_SECONDS)
    if subscription:
        eventually(person.subscription, timeout=REGISTRATION_SECONDS)
    if welcome:
        eventually(lambda: person.notifications("welcome"), timeout=REGISTRATION_SECONDS)
    return person


def new_customer(api: Api, *, prefix: str = "customer") -> Person:
    """A brand-new customer whose wallet is open: ready to place orders."""
    return ready(register(api, prefix=prefix))
