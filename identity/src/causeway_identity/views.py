"""Identity's HTTP API: registration, OAuth 2 endpoints, discovery, /users/me."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, EmailStr, Field

from causeway.auth import SERVICE_SCOPE
from causeway.errors import AppError, Forbidden, NotFound, Unauthorized
from causeway.service import get_runtime, reading_unit_of_work, unit_of_work
from causeway.uow import UnitOfWork
from causeway_identity import accounts
from causeway_identity.models import Client, User
from causeway_identity.tokens import TokenService

router = APIRouter()

# What introspection tells a resource server about an active token (RFC 7662 names).
INTROSPECTED_CLAIMS = ("sub", "scope", "client_id", "exp", "iat", "iss", "aud", "jti", "plan")

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(AppError):
    """RFC 6749 error codes in the platform's error shape."""

    status = 400


def token_service(request: Request) -> TokenService:
    return get_runtime(request).extras["tokens"]


# -- users ------------------------------------------------------------------------------


class Registration(BaseModel):
    email: EmailStr
    password: str = Field(min_length=8, max_length=256)
    name: str = Field(min_length=1, max_length=200)


class UserOut(BaseModel):
    id: str
    email: str
    name: str


class Me(UserOut):
    role: str
    plan: str


@router.post("/users", status_code=201, response_model=UserOut, tags=["users"])
def register(body: Registration, uow: UnitOfWork = Depends(unit_of_work)) -> User:
    return accounts.register_user(uow, email=body.email, password=body.password, name=body.name)


_bearer = HTTPBearer(auto_error=False)


def bearer_claims(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    uow: UnitOfWork = Depends(unit_of_work),
) -> dict:
    """Identity validates its own tokens directly: it is the validator."""
    if credentials is None:
        raise Unauthorized("missing bearer token")
    claims = token_service(request).verify(credentials.credentials, session=uow.session)
    if claims is None:
        raise Unauthorized("token is invalid, expired or revoked", code="invalid_token")
    return claims


@router.get("/users/me", response_model=Me, tags=["users"])
def me(claims: dict = Depends(bearer_claims), uow: UnitOfWork = Depends(unit_of_work)) -> User:
    if SERVICE_SCOPE in claims.get("scope", "").split():
        raise Forbidden("service tokens have no user", code="not_a_user")
    user = uow.session.get(User, claims["sub"])
    if user is None:
        raise NotFound("user not found")
    return user


# -- OAuth 2 ----------------------------------------------------------------------------


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int
    scope: str


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, secret


def _client(
    request: Request, uow: UnitOfWork, client_id: str | None, client_secret: str | None
) -> Client | None:
    """client_secret_basic or client_secret_post (RFC 6749 §2.3.1)."""
    credentials = _basic_credentials(request) or (
        (client_id, client_secret) if client_id and client_secret else None
    )
    if credentials is None:
        return None
    return accounts.authenticate_client(uow, client_id=credentials[0], client_secret=credentials[1])


def _granted_scope(requested: str | None, allowed: str) -> str:
    if not requested:
        return allowed
    wanted, permitted = set(requested.split()), set(allowed.split())
    if not wanted <= permitted:
        raise OAuthError(f"scope not allowed: {' '.join(sorted(wanted - permitted))}", code="invalid_scope")
    return " ".join(sorted(wanted))


@router.post("/oauth/token", response_model=TokenOut, tags=["oauth"])
def token(
    request: Request,
    response: Response,
    grant_type: Annotated[str, Form()],
    username: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form()] = None,
    scope: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    uow: UnitOfWork = Depends(unit_of_work),
) -> TokenOut:
    tokens = token_service(request)
    response.headers.update(NO_STORE)
    if grant_type == "password":
        if not username or not password:
            raise OAuthError("username and password are required", code="invalid_request")
        user = accounts.authenticate_user(uow, email=username, password=password)
        if user is None:  # the same answer whether or not the email exists
            raise Unauthorized("invalid username or password", code="invalid_grant")
        issued = tokens.issue(
            subject=user.id,
            scope=_granted_scope(scope, accounts.user_scope(user)),
            client_id="causeway-web",
            extra={"plan": user.plan, "email": user.email} if user.role == "customer" else {"email": user.email},
        )
    elif grant_type == "client_credentials":
        client = _client(request, uow, client_id, client_secret)
        if client is None:
            raise Unauthorized("invalid client credentials", code="invalid_client")
        issued = tokens.issue(
            subject=client.client_id, scope=_granted_scope(scope, client.scope), client_id=client.client_id
        )
    else:
        raise OAuthError(f"grant_type {grant_type!r} is not supported", code="unsupported_grant_type")
    return TokenOut(access_token=issued.access_token, expires_in=issued.expires_in, scope=issued.scope)


@router.post("/oauth/introspect", tags=["oauth"])
def introspect(
    request: Request,
    token: Annotated[str, Form()],
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    uow: UnitOfWork = Depends(reading_unit_of_work),
) -> dict:
    """RFC 7662. Only authenticated service clients may ask."""
    if _client(request, uow, client_id, client_secret) is None:
        raise Unauthorized(
            "introspection requires service client credentials",
            code="invalid_client",
            headers={"WWW-Authenticate": 'Basic realm="causeway"'},
        )
    claims = token_service(request).verify(token, session=uow.session)
    if claims is None:
        return {"active": False}
    return {
        "active": True,
        "token_type": "Bearer",
        "username": claims.get("email"),
        **{k: claims[k] for k in INTROSPECTED_CLAIMS if k in claims},
    }


@router.post("/oauth/revoke", tags=["oauth"])
def revoke(
    request: Request,
    token: Annotated[str, Form()],
    token_type_hint: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    uow: UnitOfWork = Depends(unit_of_work),
) -> Response:
    """RFC 7009: a service client may revoke any token; a bearer may revoke its own (log-out)."""
    header = request.headers.get("authorization", "")
    own_token = header.lower().startswith("bearer ") and header[7:].strip() == token
    if not own_token and _client(request, uow, client_id, client_secret) is None:
        raise Unauthorized("revocation requires client credentials or the token itself as bearer")
    claims = token_service(request).verify(token, session=uow.session)
    if claims is not None:  # unknown or already invalid tokens: nothing to do, still 200
        token_service(request).revoke(claims, session=uow.session)
        uow.commit()
    return Response(status_code=200, headers=NO_STORE)


# -- discovery --------------------------------------------------------------------------


@router.get("/.well-known/jwks.json", tags=["discovery"])
def jwks(request: Request) -> dict:
    return {"keys": [token_service(request).key.public_jwk]}


@router.get("/.well-known/openid-configuration", tags=["discovery"])
def openid_configuration(request: Request) -> dict:
    issuer = token_service(request).issuer
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/oauth/token",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "userinfo_endpoint": f"{issuer}/users/me",
        "grant_types_supported": ["password", "client_credentials"],
        "response_types_supported": ["token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": ["customer", "admin", "service"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "jti", "scope", "client_id", "plan", "email"],
    }
