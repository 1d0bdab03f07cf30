"""Customers as the end-to-end tests see them: a token, and a client per service."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field

import httpx

from tests.support.api import Api


def claims(token: str) -> dict:
    """The payload of a JWT, unverified: what the token says, for assertions only."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def ok(response: httpx.Response, status: int = 200):
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


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

    def subscription(self) -> dict:
        return ok(self.client("subscriptions").get("/subscriptions/me"))

    def upgrades(self) -> list[dict]:
        return ok(self.client("subscriptions").get("/subscriptions/me/upgrades"))

    def notifications(self, kind: str | None = None) -> list[dict]:
        found = ok(self.client("notifications").get("/notifications"))
        return [n for n in found if kind is None or n["kind"] == kind]


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
