"""Typed settings read from environment variables, one set of keys for every service.

The same keys configure host mode (`make dev`), tests and containers. Defaults
suit host mode; containers and tests override them through the environment.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from causeway import topology as topology_module


class Environment(StrEnum):
    dev = "dev"
    test = "test"
    prod = "prod"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False)

    service_name: str = Field(description="Service name as declared in the topology")
    causeway_env: Environment = Environment.dev

    host: str = "127.0.0.1"
    port: int | None = Field(default=None, description="Defaults to the topology's port")
    public_url: str | None = Field(default=None, description="How clients reach this service")

    # AWS. On LocalStack the access key id is the account id; on real AWS the
    # endpoint is unset and the normal credential chain applies.
    aws_endpoint_url: str | None = "http://localhost:4566"
    aws_region: str = "us-east-1"
    aws_account_id: str | None = Field(default=None, description="Defaults to the topology's account")
    aws_access_key_id: str | None = None
    aws_secret_access_key: SecretStr | None = None

    database_url: str | None = Field(default=None, description="Defaults to SQLite under data_dir")
    data_dir: Path = Path("data")

    identity_url: str = "http://127.0.0.1:8001"
    client_id: str | None = Field(default=None, description="Defaults to the service name")
    client_secret: SecretStr | None = Field(default=None, description="Dev/test default: <service>-dev-secret")
    auth_cache_seconds: float = Field(default=30.0, ge=0, le=30)

    otel_exporter_otlp_endpoint: str | None = None

    # Messaging. Consumers long-poll; the relay wakes on commit, or on this
    # interval when another process wrote the outbox.
    consumer_wait_seconds: int = Field(default=5, ge=0, le=20)  # also bounds how long a stop waits
    consumer_retry_base_seconds: float = Field(default=1.0, ge=0)
    relay_idle_seconds: float = Field(default=5.0, gt=0)
    # How often an idle relay checks that the central bus is the one it published into,
    # and how far back it re-sends when the bus was created anew (emulator restarted).
    relay_bus_check_seconds: float = Field(default=30.0, gt=0)
    relay_replay_seconds: float = Field(default=3600.0, ge=0)
    messaging_enabled: bool = True

    @field_validator(
        "aws_endpoint_url",
        "aws_account_id",
        "aws_access_key_id",
        "aws_secret_access_key",
        "database_url",
        "otel_exporter_otlp_endpoint",
        "public_url",
        "client_secret",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _fill_from_topology(self) -> Settings:
        spec = topology_module.default().service(self.service_name)
        if self.port is None:
            self.port = spec.port
        if self.aws_account_id is None:
            self.aws_account_id = spec.account
        if self.client_id is None:
            self.client_id = self.service_name
        if self.database_url is None:
            self.database_url = f"sqlite:///{self.data_dir / (self.service_name + '.db')}"
        if self.public_url is None:
            self.public_url = f"http://localhost:{self.port}"
        if self.client_secret is None:
            self.client_secret = SecretStr(self.dev_secret(self.service_name))
        self.refuse_dev_secret(self.client_id or "", self.client_secret)
        return self

    @property
    def is_dev_or_test(self) -> bool:
        return self.causeway_env in (Environment.dev, Environment.test)

    def dev_secret(self, client_id: str) -> str:
        """The well-known secret of a seeded client, usable only in dev and tests."""
        return f"{client_id}-dev-secret"

    def refuse_dev_secret(self, client_id: str, secret: SecretStr) -> None:
        if not self.is_dev_or_test and secret.get_secret_value() == self.dev_secret(client_id):
            raise ValueError(f"the dev secret of client {client_id!r} is refused outside dev and test")

    def aws_credentials(self) -> dict[str, str]:
        """Explicit credentials for boto3, or none to use the default chain."""
        if self.aws_access_key_id and self.aws_secret_access_key:
            return {
                "aws_access_key_id": self.aws_access_key_id,
                "aws_secret_access_key": self.aws_secret_access_key.get_secret_value(),
            }
        if self.aws_endpoint_url:  # LocalStack: the account id is the access key id
            return {"aws_access_key_id": self.aws_account_id or "", "aws_secret_access_key": "test"}
        return {}
