"""Per-service PostgreSQL databases for a test run, made by the same script compose runs."""

from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

INIT_SCRIPT = Path(__file__).resolve().parents[2] / "postgres-init" / "10-service-databases.sh"


@dataclass
class ServiceDatabases:
    """One database and role per service, prefixed so runs never collide."""

    services: list[str]
    host: str = os.environ.get("CAUSEWAY_TEST_PGHOST", "127.0.0.1")
    port: int = int(os.environ.get("CAUSEWAY_TEST_PGPORT", "5432"))
    admin: str = os.environ.get("CAUSEWAY_TEST_PGUSER", "postgres")
    prefix: str = ""

    def __post_init__(self) -> None:
        self.prefix = self.prefix or f"cw{uuid.uuid4().hex[:8]}_"

    def name(self, service: str) -> str:
        return f"{self.prefix}{service}"

    def password(self, service: str) -> str:
        return f"{service}-db-password"

    def url(self, service: str, *, as_service: str | None = None) -> str:
        role = self.name(as_service or service)
        password = self.password(as_service or service)
        return f"postgresql+psycopg://{role}:{password}@{self.host}:{self.port}/{self.name(service)}"

    def create(self) -> dict[str, str]:
        env = {
            **os.environ,
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.admin,
            "CAUSEWAY_SERVICES": " ".join(self.services),
            "CAUSEWAY_DB_PREFIX": self.prefix,
        }
        subprocess.run(["sh", str(INIT_SCRIPT)], env=env, check=True, capture_output=True)
        return {service: self.url(service) for service in self.services}

    def drop(self) -> None:
        admin = {"host": self.host, "port": self.port, "user": self.admin, "dbname": "postgres"}
        with psycopg.connect(**admin, autocommit=True) as conn:
            for service in self.services:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name(service)}" WITH (FORCE)')
                conn.execute(f'DROP ROLE IF EXISTS "{self.name(service)}"')
