"""Identity's settings on top of the SDK's common keys."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator

from causeway import topology
from causeway.config import Settings


class IdentitySettings(Settings):
    issuer: str | None = Field(default=None, description="`iss` of every token; defaults to the public URL")
    audience: str = "causeway"
    token_ttl_seconds: int = Field(default=900, ge=60, le=86_400)
    signing_key_pem: SecretStr | None = Field(
        default=None,
        description="RSA private key (PEM). Required outside dev/test; generated and kept in the database there.",
    )
    # client_id -> secret, as JSON. In dev/test every service of the topology
    # gets `<service>-dev-secret` unless given here.
    client_secrets: dict[str, SecretStr] = Field(default_factory=dict)
    seed_users: bool | None = Field(default=None, description="Seed the demo users; default: dev/test only")

    @model_validator(mode="after")
    def _identity_defaults(self) -> IdentitySettings:
        if self.issuer is None:
            self.issuer = self.public_url
        if self.seed_users is None:
            self.seed_users = self.is_dev_or_test
        if not self.is_dev_or_test and self.signing_key_pem is None:
            raise ValueError("SIGNING_KEY_PEM is required outside dev and test")
        return self

    def service_client_secrets(self) -> dict[str, str]:
        """Every service of the topology gets a client; outside dev/test its secret must be given."""
        secrets: dict[str, str] = {}
        for name in topology.default().services:
            given = self.client_secrets.get(name)
            if given is None and not self.is_dev_or_test:
                raise ValueError(f"CLIENT_SECRETS has no secret for client {name!r}")
            secret = given or SecretStr(self.dev_secret(name))
            self.refuse_dev_secret(name, secret)
            secrets[name] = secret.get_secret_value()
        return secrets
