"""The whole stack in host mode: LocalStack, then identity, then every other service."""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from causeway import topology as topology_module
from causeway_devstack.localstack import LocalStack
from causeway_devstack.processes import ReadyWhen, open_log


def installed_services() -> list[str]:
    """Services that exist, in topology order."""
    names = {ep.name for ep in entry_points(group="causeway.services")}
    return [n for n in topology_module.default().services if n in names]


@dataclass
class RunningService:
    name: str
    port: int
    log_file: Path
    executor: ReadyWhen

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"


class Stack:
    def __init__(
        self,
        *,
        data_dir: Path,
        localstack_port: int,
        ports: dict[str, int],
        environment: str = "dev",
        env: dict[str, str] | None = None,
        database_urls: dict[str, str] | None = None,
        localstack: LocalStack | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.ports = ports
        self.environment = environment
        self.env = env or {}
        self.database_urls = database_urls or {}
        self.localstack = localstack or LocalStack(
            port=localstack_port, root=data_dir / "localstack", log_file=data_dir / "logs" / "localstack.log"
        )
        self.services: dict[str, RunningService] = {}

    def url(self, name: str) -> str:
        return f"http://localhost:{self.ports[name]}"

    def service_env(self, name: str) -> dict[str, str]:
        env = {
            "CAUSEWAY_ENV": self.environment,
            "HOST": "127.0.0.1",
            "PORT": str(self.ports[name]),
            "PUBLIC_URL": self.url(name),
            "AWS_ENDPOINT_URL": self.localstack.url,
            "IDENTITY_URL": self.url("identity"),
            "DATA_DIR": str(self.data_dir),
            "DATABASE_URL": self.database_urls.get(name, f"sqlite:///{self.data_dir / (name + '.db')}"),
            # Each process gets its own account from the topology, never a leaked one.
            "AWS_ACCESS_KEY_ID": "",
            "AWS_SECRET_ACCESS_KEY": "",
            "AWS_ACCOUNT_ID": "",
        }
        return {**env, **self.env}

    def start(self, names: list[str] | None = None) -> None:
        """Start LocalStack and every service at once, and wait until all are ready.

        Nothing waits for anything else to begin: a service imports, migrates
        and seeds while LocalStack boots; its consumer finds its queues once
        they exist, and its relay holds events until the central bus is fully
        provisioned (the bus policy, set last). Readiness checks (LocalStack's
        init hooks, each /readyz, which includes identity) say when all is up.
        """
        names = names or installed_services()
        try:
            with ThreadPoolExecutor(max_workers=len(names) + 1) as pool:
                futures = [pool.submit(self.localstack.start)]
                futures += [pool.submit(self.start_service, name) for name in names]
                for future in futures:
                    future.result()
        except BaseException:
            self.stop()
            raise

    def start_service(
        self,
        name: str,
        timeout: float = 60,
        *,
        instance: str | None = None,
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> RunningService:
        """Start a service; with `instance`, one more process of it (own port, log and env; same database)."""
        key = instance or name
        port = port or self.ports[name]
        url = f"http://localhost:{port}"
        log_file = self.data_dir / "logs" / f"{key}.log"
        envvars = {**self.service_env(name), "PORT": str(port), "PUBLIC_URL": url, **(env or {})}
        executor = ReadyWhen(
            [sys.executable, "-m", "causeway.serve", name],
            f"{url}/readyz",
            ready=lambda r: r.status_code == 200,
            log=open_log(log_file),
            envvars=envvars,
            timeout=timeout,
            cwd=str(self.data_dir),
        )
        try:
            executor.start()
        except Exception as error:
            executor.stop()
            raise RuntimeError(f"{key} did not become ready; see {log_file}:\n{_tail(log_file)}") from error
        self.services[key] = RunningService(key, port, log_file, executor)
        return self.services[key]

    def stop_service(self, name: str) -> None:
        running = self.services.pop(name, None)
        if running:
            running.executor.stop()

    def kill_service(self, name: str) -> None:
        """SIGKILL, as a crash would: no shutdown hook runs."""
        running = self.services.pop(name, None)
        if running:
            running.executor.kill()

    def stop(self) -> None:
        # In parallel: each service may finish a long poll before it exits.
        with ThreadPoolExecutor(max_workers=max(len(self.services), 1)) as pool:
            list(pool.map(self.stop_service, list(self.services)))
        self.localstack.stop()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def default_ports() -> dict[str, int]:
    return {name: spec.port for name, spec in topology_module.default().services.items()}


def otlp_env() -> dict[str, str]:
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    return {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint} if endpoint else {}
