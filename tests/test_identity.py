"""Identity over real HTTP: registration, OAuth 2 grants, JWKS, introspection, revocation."""

from __future__ import annotations

import uuid

import httpx
import jwt
import pytest


@pytest.fixture
def identity(api) -> httpx.Client:
    return api.client("identity")


def _email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


def test_register_token_and_me(identity, api):
    email = _email()
    created = identity.post("/users", json={"email": email, "password": "pass-word-1", "name": "Dana"})
    assert created.status_code == 201
    assert created.json()["email"] == email and "password" not in created.text
    response = identity.post(
        "/oauth/token", data={"grant_type": "password", "username": email, "password": "pass-word-1"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0 and body["scope"] == "customer"
    me = identity.get("/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    expected = {"id": created.json()["id"], "email": email, "name": "Dana", "role": "customer", "plan": "free"}
    assert me.json() | {} == expected


def test_token_verifies_against_jwks(identity, api):
    token = api.token("alice@example.com")
    jwks = identity.get("/.well-known/jwks.json").json()
    config = identity.get("/.well-known/openid-configuration").json()
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"] in {k["kid"] for k in jwks["keys"]}
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]].key
    claims = jwt.decode(token, key, algorithms=["RS256"], audience="causeway", issuer=config["issuer"])
    assert {"iss", "sub", "aud", "exp", "iat", "jti", "scope"} <= claims.keys()
    assert claims["plan"] == "free" and claims["scope"] == "customer"
    assert config["jwks_uri"].endswith("/.well-known/jwks.json")


def test_client_credentials_grant(identity):
    ok = identity.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("billing", "billing-dev-secret")
    )
    assert ok.status_code == 200 and ok.json()["scope"] == "service"
    bad = identity.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=("billing", "wrong"))
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_client"


def test_introspection_requires_a_service_client(identity, api):
    token = api.token("alice@example.com")
    anonymous = identity.post("/oauth/introspect", data={"token": token})
    assert anonymous.status_code == 401
    as_customer = identity.post(
        "/oauth/introspect", data={"token": token}, headers={"Authorization": f"Bearer {token}"}
    )
    assert as_customer.status_code == 401
    active = identity.post("/oauth/introspect", data={"token": token}, auth=("orders", "orders-dev-secret"))
    assert active.status_code == 200
    body = active.json()
    assert body["active"] is True and body["scope"] == "customer" and body["exp"] > body["iat"]


def test_revoked_token_is_inactive(identity, api):
    token = api.token("bob@example.com")
    revoked = identity.post("/oauth/revoke", data={"token": token}, auth=("orders", "orders-dev-secret"))
    assert revoked.status_code == 200
    body = identity.post("/oauth/introspect", data={"token": token}, auth=("orders", "orders-dev-secret")).json()
    assert body == {"active": False}
    assert identity.get("/users/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_bearer_may_revoke_its_own_token_only(identity, api):
    own = api.token("alice@example.com")
    other = api.token("bob@example.com")
    refused = identity.post("/oauth/revoke", data={"token": other}, headers={"Authorization": f"Bearer {own}"})
    assert refused.status_code == 401
    logout = identity.post("/oauth/revoke", data={"token": own}, headers={"Authorization": f"Bearer {own}"})
    assert logout.status_code == 200
    assert identity.get("/users/me", headers={"Authorization": f"Bearer {own}"}).status_code == 401
    assert identity.get("/users/me", headers={"Authorization": f"Bearer {other}"}).status_code == 200


def test_wrong_password_does_not_reveal_whether_the_email_exists(identity):
    known = identity.post(
        "/oauth/token", data={"grant_type": "password", "username": "alice@example.com", "password": "nope"}
    )
    unknown = identity.post(
        "/oauth/token", data={"grant_type": "password", "username": "nobody@example.com", "password": "nope"}
    )
    assert known.status_code == unknown.status_code == 401
    assert known.json() == unknown.json()


def test_duplicate_email_is_a_conflict(identity):
    email = _email()
    body = {"email": email, "password": "pass-word-1", "name": "Eve"}
    assert identity.post("/users", json=body).status_code == 201
    again = identity.post("/users", json={**body, "email": email.upper()})
    assert again.status_code == 409 and again.json()["error"]["code"] == "email_taken"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "not-an-email", "password": "pass-word-1", "name": "X"},
        {"email": "ok@example.com", "password": "short", "name": "X"},
        {"email": "ok@example.com", "password": "pass-word-1", "name": ""},
        [1, 2, 3],
    ],
)
def test_malformed_registration_is_422_with_a_message(identity, body):
    response = identity.post("/users", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and error["message"]


def test_malformed_json_and_grant_types_are_4xx(identity):
    broken = identity.post("/users", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 422
    missing_grant = identity.post("/oauth/token", data={})
    assert missing_grant.status_code == 422
    unsupported = identity.post("/oauth/token", data={"grant_type": "implicit"})
    assert unsupported.status_code == 400 and unsupported.json()["error"]["code"] == "unsupported_grant_type"


def test_service_token_has_no_user(identity, api):
    token = api.service_token("orders")
    response = identity.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
