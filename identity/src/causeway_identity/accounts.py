"""Users and service clients: registration and authentication."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from causeway.auth import ADMIN_SCOPE, CUSTOMER_SCOPE, SERVICE_SCOPE
from causeway.errors import Conflict
from causeway.uow import UnitOfWork
from causeway_identity.models import Client, User

# argon2id with the library's defaults (RFC 9106 low-memory profile).
_hasher = PasswordHasher()
# Verified against when the email is unknown, so a miss costs as much as a hit
# and timing does not tell whether an account exists.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

ROLE_SCOPES = {"customer": CUSTOMER_SCOPE, "admin": ADMIN_SCOPE}


def normalise_email(email: str) -> str:
    return email.strip().lower()


def register_user(uow: UnitOfWork, *, email: str, password: str, name: str, role: str = "customer") -> User:
    """Create a user and publish UserRegistered in the same transaction."""
    email = normalise_email(email)
    if uow.session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        raise Conflict("a user with this email already exists", code="email_taken")
    user = User(
        id=str(uuid.uuid4()),
        email=email,
        name=name.strip(),
        password_hash=_hasher.hash(password),
        role=role,
        plan="free",
        created_at=datetime.now(UTC),
    )
    uow.session.add(user)
    uow.publish("UserRegistered", {"userId": user.id, "email": email, "name": user.name}, aggregate_id=user.id)
    try:
        uow.commit()
    except IntegrityError:  # registered concurrently
        uow.rollback()
        raise Conflict("a user with this email already exists", code="email_taken") from None
    return user


def authenticate_user(uow: UnitOfWork, *, email: str, password: str) -> User | None:
    user = uow.session.scalar(select(User).where(User.email == normalise_email(email)))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, InvalidHashError):
        return None
    return user


def user_scope(user: User) -> str:
    return ROLE_SCOPES[user.role]


# Client secrets are long random strings in production, so a plain
# SHA-256 is enough (unlike passwords) and keeps introspection cheap.
def hash_client_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def authenticate_client(uow: UnitOfWork, *, client_id: str, client_secret: str) -> Client | None:
    client = uow.session.get(Client, client_id)
    expected = client.secret_hash if client else hash_client_secret("\0no-such-client")
    if not hmac.compare_digest(expected, hash_client_secret(client_secret)) or client is None:
        return None
    return client


def ensure_client(uow: UnitOfWork, *, client_id: str, secret: str) -> None:
    """Create or re-key a service client to match configuration."""
    client = uow.session.get(Client, client_id)
    if client is None:
        uow.session.add(Client(client_id=client_id, secret_hash=hash_client_secret(secret), scope=SERVICE_SCOPE))
    else:
        client.secret_hash = hash_client_secret(secret)


def set_plan(uow: UnitOfWork, *, user_id: str, plan: str) -> None:
    user = uow.session.get(User, user_id)
    if user is not None:
        user.plan = plan
