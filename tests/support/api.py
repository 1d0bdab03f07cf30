"""A thin HTTP client for the running stack: tokens and per-service calls."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

PASSWORDS = {
    "alice@example.com": "alice-password",
    "bob@example.com": "bob-password",
    "admin@example.com": "admin-password",
}


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

    def register(self, email: str, password: str = "a-good-password", name: str = "Test User") -> dict:
        response = httpx.post(
            f"{self.urls['identity']}/users", json={"email": email, "password": password, "name": name}
        )
        assert response.status_code == 201, response.text
        return response.json()
