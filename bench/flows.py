"""Item 3: the two business flows through the whole stack, over HTTP as a customer drives them.

Customers are registered afresh (POST /users); order customers get their wallets
topped up through POST /wallets/me/top-up so they never run dry, and the bench
orders its own product (created as admin with a stock that cannot run out), so
every order can be CONFIRMED.

Watching the outcome: nothing is polled while orders flow. Orders stamps
`updatedAt` in the transaction that confirms an order, and subscriptions stamps
`resolvedAt` in the one that settles an upgrade; after a run the bench reads
each customer's orders (one GET /orders each) or upgrades once they are
settled. Latency = that stamp − the wall-clock time just before the POST was
sent (one clock: the same machine). Polling GET /orders/{id} for every order
would put more load on orders than the flow itself; notifications arrive one
hop after CONFIRMED and would add that hop.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

import httpx

from bench import stats

PRODUCT = "SKU-BENCH"
PRICE = 100  # minor units: an order of one costs 1.00 USD
TOP_UP = 1_000_000  # the top-up endpoint's maximum in one call
ADMIN = ("admin@example.com", "admin-password")


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _ok(response: httpx.Response, *statuses: int) -> dict | list:
    if response.status_code not in (statuses or (200,)):
        request = response.request
        raise RuntimeError(f"{request.method} {request.url} → {response.status_code}: {response.text[:300]}")
    return response.json()


@dataclass
class Customer:
    email: str
    password: str
    id: str = ""
    token: str = ""


@dataclass
class Api:
    urls: dict[str, str]
    _local: threading.local = field(default_factory=threading.local)

    def client(self) -> httpx.Client:
        # One connection pool per thread: POSTs at a fixed rate come from a pool of threads.
        if not hasattr(self._local, "client"):
            self._local.client = httpx.Client(timeout=30.0)
        return self._local.client

    def url(self, service: str, path: str) -> str:
        return self.urls[service] + path

    def token(self, email: str, password: str) -> str:
        response = self.client().post(
            self.url("identity", "/oauth/token"),
            data={"grant_type": "password", "username": email, "password": password},
        )
        return _ok(response)["access_token"]

    def get(self, service: str, path: str, token: str, **params) -> httpx.Response:
        return self.client().get(self.url(service, path), headers={"Authorization": f"Bearer {token}"}, params=params)

    def post(self, service: str, path: str, token: str, body: dict) -> httpx.Response:
        return self.client().post(self.url(service, path), headers={"Authorization": f"Bearer {token}"}, json=body)


class Flows:
    def __init__(self, urls: dict[str, str]) -> None:
        self.api = Api(urls)
        self.pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="bench-http")
        self.order_customers: list[Customer] = []
        self.upgrade_customers: list[Customer] = []

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    # -- set-up --------------------------------------------------------------------------------
    def register(self, count: int, prefix: str) -> list[Customer]:
        """Fresh customers, each with a token, a wallet and a free subscription (from UserRegistered)."""

        def one(_: int) -> Customer:
            customer = Customer(f"bench-{prefix}-{uuid.uuid4().hex[:10]}@example.com", "bench-password")
            body = {"email": customer.email, "password": customer.password, "name": "Bench Customer"}
            customer.id = _ok(self.api.client().post(self.api.url("identity", "/users"), json=body), 201)["id"]
            customer.token = self.api.token(customer.email, customer.password)
            return customer

        customers = list(self.pool.map(one, range(count)))
        deadline = time.monotonic() + 60
        for customer in customers:  # their wallet and subscription arrive through events
            for service, path in (("billing", "/wallets/me"), ("subscriptions", "/subscriptions/me")):
                while self.api.get(service, path, customer.token).status_code != 200:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{customer.email} got no {service} record within 60 s")
                    time.sleep(0.1)
        return customers

    def prepare(self, order_customers: int, upgrade_customers: int) -> None:
        admin = self.api.token(*ADMIN)
        product = {"name": "Bench widget", "unitPrice": PRICE, "currency": "USD", "stock": 1_000_000_000}
        _ok(self.api.client().put(
            self.api.url("inventory", f"/products/{PRODUCT}"), headers={"Authorization": f"Bearer {admin}"},
            json=product,
        ), 200, 201)
        deadline = time.monotonic() + 30
        while self.api.client().get(self.api.url("orders", f"/catalogue/{PRODUCT}")).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("orders' catalogue never received the bench product")
            time.sleep(0.1)
        self.order_customers = self.register(order_customers, "order")
        self.upgrade_customers = self.register(upgrade_customers, "upgrade")
        self.refresh_tokens()

    def refresh_tokens(self) -> None:
        """New tokens (they last 15 min) and topped-up wallets for the order customers."""
        def one(customer: Customer) -> None:
            customer.token = self.api.token(customer.email, customer.password)
            balance = _ok(self.api.get("billing", "/wallets/me", customer.token))["balance"]
            if balance < TOP_UP // 2:
                _ok(self.api.post("billing", "/wallets/me/top-up", customer.token, {"amount": TOP_UP}))

        list(self.pool.map(one, self.order_customers))

    # -- driving -------------------------------------------------------------------------------
    def _drive(self, n: int, rate: float | None, send) -> list[tuple[float, float, object]]:
        """Call send(i) n times, open loop at `rate`/s, or as fast as 8 clients go when rate is None."""
        results: list[tuple[float, float, object]] = []
        lock = threading.Lock()

        def one(i: int) -> None:
            sent = time.time()
            outcome = send(i)
            with lock:
                results.append((sent, time.time(), outcome))

        if rate is None:
            with ThreadPoolExecutor(max_workers=8) as burst:
                list(burst.map(one, range(n)))
            return results
        start = time.monotonic() + 0.05
        futures = []
        for i in range(n):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(self.pool.submit(one, i))
        for future in futures:
            future.result()
        return results

    def orders(self, n: int, rate: float | None, *, settle_timeout: float = 120) -> dict:
        customers = self.order_customers

        def place(i: int) -> tuple[str, str]:
            customer = customers[i % len(customers)]
            response = self.api.post("orders", "/orders", customer.token, {"items": [{"sku": PRODUCT, "quantity": 1}]})
            return customer.email, _ok(response, 202)["id"]

        placed = self._drive(n, rate, place)
        sent_at = {order_id: sent for sent, _, (_, order_id) in placed}
        post_ms = [(done - sent) * 1000 for sent, done, _ in placed]
        # Settled when none of this run's orders is PENDING any more.
        deadline = time.monotonic() + settle_timeout
        by_email = {c.email: c for c in customers}
        emails = {email for _, _, (email, _) in placed}
        while True:
            found: dict[str, dict] = {}
            for email in emails:
                for order in _ok(self.api.get("orders", "/orders", by_email[email].token, limit=1000)):
                    if order["id"] in sent_at:
                        found[order["id"]] = order
            pending = [o for o in found.values() if o["status"] == "PENDING"] + [None] * (len(sent_at) - len(found))
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        confirmed = [o for o in found.values() if o["status"] == "CONFIRMED"]
        latencies = [_ts(o["updatedAt"]) - sent_at[o["id"]] for o in confirmed]
        first_sent = min(sent_at.values())
        last_done = max((_ts(o["updatedAt"]) for o in confirmed), default=float("nan"))
        return {
            "orders": n,
            "rate": rate,
            "confirmed": len(confirmed),
            "cancelled": sum(o["status"] == "CANCELLED" for o in found.values()),
            "pending": len(pending),
            "confirmed_per_s": len(confirmed) / (last_done - first_sent) if confirmed else float("nan"),
            "latency_ms": stats.latency_summary(latencies),
            "post_ms": {"p50": stats.percentile(post_ms, 50), "p99": stats.percentile(post_ms, 99)},
        }

    def upgrades(self, n: int, rate: float, *, settle_timeout: float = 120) -> dict:
        if len(self.upgrade_customers) < n:
            raise RuntimeError(f"{n} upgrades need {n} fresh customers, {len(self.upgrade_customers)} left")
        batch, self.upgrade_customers = self.upgrade_customers[:n], self.upgrade_customers[n:]
        for customer in batch:
            customer.token = self.api.token(customer.email, customer.password)

        def upgrade(i: int) -> Customer:
            _ok(self.api.post("subscriptions", "/subscriptions/me/upgrade", batch[i].token, {"plan": "pro"}), 202)
            return batch[i]

        requested = self._drive(n, rate, upgrade)
        deadline = time.monotonic() + settle_timeout
        settled: dict[str, tuple[float, dict]] = {}
        while len(settled) < n and time.monotonic() < deadline:
            for sent, _, customer in requested:
                if customer.email in settled:
                    continue
                found = _ok(self.api.get("subscriptions", "/subscriptions/me/upgrades", customer.token))
                if found and found[0]["status"] != "PENDING":
                    settled[customer.email] = (sent, found[0])
            if len(settled) < n:
                time.sleep(0.5)
        completed = [(sent, u) for sent, u in settled.values() if u["status"] == "COMPLETED"]
        latencies = [_ts(u["resolvedAt"]) - sent for sent, u in completed]
        post_ms = [(done - sent) * 1000 for sent, done, _ in requested]
        return {
            "upgrades": n,
            "rate": rate,
            "completed": len(completed),
            "failed": sum(u["status"] == "FAILED" for _, u in settled.values()),
            "pending": n - len(settled),
            "latency_ms": stats.latency_summary(latencies),
            "post_ms": {"p50": stats.percentile(post_ms, 50), "p99": stats.percentile(post_ms, 99)},
        }
