"""Identity service (account 111111111111, port 8001)."""

from __future__ import annotations

from pathlib import Path

from causeway.service import Runtime, Service
from causeway_identity import keys, seed, views
from causeway_identity.handlers import handlers
from causeway_identity.models import Base
from causeway_identity.settings import IdentitySettings
from causeway_identity.tokens import TokenService


def start(runtime: Runtime) -> None:
    settings: IdentitySettings = runtime.settings  # type: ignore[assignment]
    if settings.signing_key_pem is not None:
        key = keys.from_pem(settings.signing_key_pem.get_secret_value())
    else:
        with runtime.sessions() as session:
            key = keys.load_or_create(session)
    runtime.extras["tokens"] = TokenService(
        key=key, issuer=settings.issuer or "", audience=settings.audience, ttl_seconds=settings.token_ttl_seconds
    )
    seed.seed(runtime)


service = Service(
    name="identity",
    description="Users, service clients and RS256 tokens; the one place tokens are validated.",
    routers=[views.router],
    handlers=handlers,
    metadata=Base.metadata,
    migrations=Path(__file__).parent / "migrations" / "versions",
    on_start=start,
    settings_class=IdentitySettings,
)
