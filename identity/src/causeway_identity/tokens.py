"""Issuing, verifying and revoking access tokens (RS256 JWTs)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt
from sqlalchemy.orm import Session

from causeway_identity.keys import KeyPair
from causeway_identity.models import RevokedToken


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str


class TokenService:
    def __init__(self, *, key: KeyPair, issuer: str, audience: str, ttl_seconds: int) -> None:
        self.key = key
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds

    def issue(self, *, subject: str, scope: str, client_id: str, extra: dict | None = None) -> IssuedToken:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.audience,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
            "scope": scope,
            "client_id": client_id,
            **(extra or {}),
        }
        token = jwt.encode(claims, self.key.private_key, algorithm="RS256", headers={"kid": self.key.kid})
        return IssuedToken(access_token=token, expires_in=self.ttl_seconds, scope=scope)

    def verify(self, token: str, *, session: Session) -> dict | None:
        """The token's claims if it is ours, unexpired and not revoked; else None."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("kid") != self.key.kid:
                return None
            claims = jwt.decode(
                token,
                self.key.private_key.public_key(),
                algorithms=["RS256"],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "jti"]},
            )
        except jwt.PyJWTError:
            return None
        if session.get(RevokedToken, claims["jti"]) is not None:
            return None
        return claims

    def revoke(self, claims: dict, *, session: Session) -> None:
        if session.get(RevokedToken, claims["jti"]) is None:
            session.add(RevokedToken(jti=claims["jti"], expires_at=datetime.fromtimestamp(claims["exp"], UTC)))
