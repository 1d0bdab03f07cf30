"""A thin HTTP client for the running stack: tokens and per-service calls."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

PASSWORDS = {
    "alice@example.com": "alice-password",
    "bob@example.com": "bob-password",
    "admin@example.com": "admin-password",
}


def ok(response: httpx.Response, status: int = 200):
    """The response's JSON, once its status is the expected one (the request and the body otherwise)."""
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


@dataclass
class Api:
    urls: dict[str, str]

    def client(self, service: str, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.urls[service], headers=headers, timeout=10.0)

    def token(self, email: str, password: str | None = None, **form: str) -> str:
        response = httpx.post(
            f"{self.urls['identity']}/oauth/token",
            data={"grant_type": "password", "username": email, "password": password or PASSWORDS[email], **form},
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def service_token(self, client_id: str) -> str:
        response = httpx.post(
            f"{self.urls['identity']}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, f"{client_id}-dev-secret"),
        )
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def as_user(self, service: str, email: str, password: str | None = None) -> httpx.Client:
        return self.client(service, self.token(email, password))

    def require(self, services: tuple[str, ...], *, flow: str) -> None:
        """Fail (not skip) a flow's tests when a service it needs is not installed: a gap, not an option."""
        missing = [name for name in services if name not in self.urls]
        if missing:
            pytest.fail(f"{flow} needs {', '.join(missing)} installed (services/<name>/pyproject.toml entry point)")

    def register(self, email: str, password: str = "a-good-password", name: str = "Test User") -> dict:
        response = httpx.post(
            f"{self.urls['identity']}/users", json={"email": email, "password": password, "name": name}
        )
        assert response.status_code == 201, response.text
        return response.json()
