"""RS256 signing keys and the JWKS that publishes their public halves.

The `kid` is the key's RFC 7638 thumbprint, so the same key always has the
same id. In dev and tests a key is generated once and kept in the database
(tokens survive a restart); elsewhere it comes from SIGNING_KEY_PEM.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import select
from sqlalchemy.orm import Session

from causeway_identity.models import SigningKey


@dataclass(frozen=True)
class KeyPair:
    kid: str
    private_key: rsa.RSAPrivateKey

    @property
    def public_jwk(self) -> dict:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}


def thumbprint(public_key: rsa.RSAPublicKey) -> str:
    jwk = json.loads(RSAAlgorithm.to_jwk(public_key))
    canonical = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def from_pem(pem: str) -> KeyPair:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the signing key must be an RSA private key")
    return KeyPair(kid=thumbprint(key.public_key()), private_key=key)


def load_or_create(session: Session) -> KeyPair:
    """The newest stored key, or a new 2048-bit key stored for next time."""
    stored = session.scalars(select(SigningKey).order_by(SigningKey.created_at.desc()).limit(1)).first()
    if stored is not None:
        return from_pem(stored.private_pem)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    pair = KeyPair(kid=thumbprint(key.public_key()), private_key=key)
    session.add(SigningKey(kid=pair.kid, private_pem=pem, created_at=datetime.now(UTC)))
    session.commit()
    return pair
