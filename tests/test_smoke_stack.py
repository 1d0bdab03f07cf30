"""The stack starts and every service is ready."""

import httpx


def test_every_service_is_ready(stack, api):
    for name, url in api.urls.items():
        response = httpx.get(f"{url}/readyz")
        assert response.status_code == 200, (name, response.text)
        assert response.json()["status"] == "ready"
