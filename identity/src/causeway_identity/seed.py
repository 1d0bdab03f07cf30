"""Clients for every service, and in dev/test the demo users.

Seeded users go through registration, so UserRegistered opens their wallets
and subscriptions like anyone else's.
"""

from __future__ import annotations

from sqlalchemy import select

from causeway.service import Runtime
from causeway_identity import accounts
from causeway_identity.models import User
from causeway_identity.settings import IdentitySettings

DEMO_USERS = [
    ("alice@example.com", "alice-password", "Alice", "customer"),
    ("bob@example.com", "bob-password", "Bob", "customer"),
    ("admin@example.com", "admin-password", "Admin", "admin"),
]


def seed(runtime: Runtime) -> None:
    settings: IdentitySettings = runtime.settings  # type: ignore[assignment]
    with runtime.unit_of_work() as uow:
        for client_id, secret in settings.service_client_secrets().items():
            accounts.ensure_client(uow, client_id=client_id, secret=secret)
        uow.commit()
    if not settings.seed_users:
        return
    for email, password, name, role in DEMO_USERS:
        with runtime.unit_of_work() as uow:
            if uow.session.scalar(select(User.id).where(User.email == email)) is None:
                accounts.register_user(uow, email=email, password=password, name=name, role=role)
