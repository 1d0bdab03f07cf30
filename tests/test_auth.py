"""Token validation through identity's introspection, as every service does it."""

from __future__ import annotations

import httpx
import pytest

from tests.support.polling import eventually


@pytest.fixture
def platform(api) -> httpx.Client:
    return api.client("platform")


def _get(platform: httpx.Client, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return platform.get("/topology", headers=headers)


def test_no_token_is_401_and_bad_token_is_401(platform):
    assert _get(platform, None).status_code == 401
    bad = _get(platform, "not-a-jwt")
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_token"


def test_missing_scope_is_403(platform, api):
    response = _get(platform, api.token("alice@example.com"))
    assert response.status_code == 403 and response.json()["error"]["code"] == "insufficient_scope"


def test_admin_reads_the_topology(platform, api):
    response = _get(platform, api.token("admin@example.com"))
    assert response.status_code == 200
    assert response.json()["routes"]["UserRegistered"] == ["billing", "subscriptions", "notifications"]


def test_revoked_token_stops_working_within_the_cache_window(platform, api):
    token = api.token("admin@example.com")
    assert _get(platform, token).status_code == 200  # now cached by platform
    revoked = httpx.post(
        f"{api.urls['identity']}/oauth/revoke", data={"token": token}, auth=("orders", "orders-dev-secret")
    )
    assert revoked.status_code == 200
    # The suite runs with AUTH_CACHE_SECONDS=2: the revocation must show within it.
    eventually(lambda: _assert_status(_get(platform, token), 401), timeout=2.5 + 1)


def test_identity_down_is_503_with_retry_after_then_recovers(platform, api, stack):
    token = api.token("admin@example.com")  # never used before: not in any cache
    stack.stop_service("identity")
    try:
        response = _get(platform, token)
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "identity_unavailable"
        assert int(response.headers["Retry-After"]) > 0
    finally:
        stack.start_service("identity")
    assert _get(platform, token).status_code == 200


def _assert_status(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
