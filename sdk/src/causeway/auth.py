"""Bearer-token authentication through identity's introspection endpoint.

Identity is the one place that decides whether a token is valid (RFC 7662).
Each service asks it as its own client, caches a positive answer for at most
`auth_cache_seconds` (≤ 30 s) and never past the token's `exp`, and never
caches a negative one, so a revoked token stops working within the window.

FastAPI dependencies:
    principal: Principal = Depends(authenticated)
    admin: Principal = Depends(require_scope("admin"))
Missing/invalid/revoked token → 401; missing scope → 403; identity
unreachable → 503 with Retry-After (raised before any write happens).
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field

import httpx
from cachetools import TLRUCache
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from causeway.errors import Forbidden, Unauthorized, Unavailable

ADMIN_SCOPE = "admin"
CUSTOMER_SCOPE = "customer"
SERVICE_SCOPE = "service"


@dataclass(frozen=True)
class Principal:
    sub: str
    scopes: frozenset[str]
    exp: float
    client_id: str | None = None
    plan: str | None = None
    email: str | None = None
    claims: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_admin(self) -> bool:
        return ADMIN_SCOPE in self.scopes

    def can_see(self, owner_id: str) -> bool:
        """Customers see only their own resources; admins see all."""
        return self.is_admin or owner_id == self.sub

    @classmethod
    def from_introspection(cls, body: dict) -> Principal:
        return cls(
            sub=str(body["sub"]),
            scopes=frozenset(str(body.get("scope", "")).split()),
            exp=float(body["exp"]),
            client_id=body.get("client_id"),
            plan=body.get("plan"),
            email=body.get("username"),
            claims=body,
        )


class IdentityUnavailable(Exception):
    pass


class Introspector:
    """Asks identity whether a token is active; caches positive answers."""

    def __init__(
        self,
        *,
        identity_url: str,
        client_id: str,
        client_secret: str,
        cache_seconds: float = 30.0,
        http: httpx.Client | None = None,
    ) -> None:
        self._url = identity_url.rstrip("/") + "/oauth/introspect"
        self._auth = (client_id, client_secret)
        self._http = http or httpx.Client(timeout=httpx.Timeout(3.0, connect=1.0))
        self._cache_seconds = cache_seconds
        self._cache: TLRUCache[str, Principal] = TLRUCache(maxsize=10_000, ttu=self._expires, timer=time.time)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _expires(self, _key: str, principal: Principal, now: float) -> float:
        return min(now + self._cache_seconds, principal.exp)

    def introspect(self, token: str) -> Principal | None:
        """The token's principal, or None when identity says it is not active."""
        key = hashlib.sha256(token.encode()).hexdigest()  # never keep raw tokens around
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            self.hits += 1
            return cached
        self.misses += 1
        try:
            response = self._http.post(self._url, data={"token": token}, auth=self._auth)
        except httpx.HTTPError as error:
            raise IdentityUnavailable(repr(error)) from error
        if response.status_code != 200:
            raise IdentityUnavailable(f"introspection answered {response.status_code}")
        body = response.json()
        if not body.get("active"):
            return None
        principal = Principal.from_introspection(body)
        if self._cache_seconds > 0 and principal.exp > time.time():
            with self._lock:
                self._cache[key] = principal
        return principal

    def close(self) -> None:
        self._http.close()


_bearer = HTTPBearer(auto_error=False)


def authenticated(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthorized("missing bearer token")
    introspector: Introspector = request.app.state.introspector
    try:
        principal = introspector.introspect(credentials.credentials)
    except IdentityUnavailable:
        raise Unavailable("identity is unavailable; try again", code="identity_unavailable") from None
    if principal is None:
        raise Unauthorized("token is invalid, expired or revoked", code="invalid_token")
    request.state.principal = principal
    return principal


def require_scope(scope: str):
    def dependency(principal: Principal = Depends(authenticated)) -> Principal:
        if scope not in principal.scopes:
            raise Forbidden(f"requires scope {scope!r}", code="insufficient_scope")
        return principal

    return dependency


require_admin = require_scope(ADMIN_SCOPE)
