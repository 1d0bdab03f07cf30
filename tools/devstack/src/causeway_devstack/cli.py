"""`causeway-dev`: run the whole stack in host mode (what `make dev` calls)."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import click

from causeway_devstack import paths
from causeway_devstack.jaeger import Jaeger
from causeway_devstack.processes import port_is_free
from causeway_devstack.stack import Stack, default_ports, installed_services, otlp_env

LOCALSTACK_PORT = 4566


@click.group()
def app() -> None:
    """Causeway in host mode: LocalStack + every service."""


@app.command()
@click.option("--data-dir", type=click.Path(path_type=Path), default=Path("data"),
              help="Git-ignored folder for databases and logs.")
@click.option("--localstack-port", type=int, default=LOCALSTACK_PORT, help="LocalStack's port.")
@click.option("--port-offset", type=int, default=0, help="Added to every service's port (to run beside another stack).")
def up(data_dir: Path, localstack_port: int, port_offset: int) -> None:
    """Start LocalStack and every service, print their URLs, stop all on Ctrl-C."""
    data_dir = (paths.repo_root() / data_dir).resolve()
    ports = {name: port + port_offset for name, port in default_ports().items()}
    names = installed_services()
    busy = [p for p in [localstack_port, *(ports[n] for n in names)] if not port_is_free(p)]
    if busy:
        click.echo(f"ports already in use: {busy}. Is another `make dev` running?", err=True)
        raise SystemExit(1)
    env = otlp_env()
    jaeger = None if env else Jaeger.on_path(data_dir / "logs" / "jaeger.log")
    if jaeger:
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": jaeger.otlp_endpoint}
        click.echo(f"tracing: exporting to the local jaeger binary, UI at {jaeger.ui_url}")
    elif env:
        click.echo(f"tracing: exporting to {env['OTEL_EXPORTER_OTLP_ENDPOINT']}")
    else:
        click.echo("tracing: no OTEL_EXPORTER_OTLP_ENDPOINT and no `jaeger` on PATH, so trace export is off")
    stack = Stack(data_dir=data_dir, localstack_port=localstack_port, ports=ports, env=env)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    click.echo("starting LocalStack and services ...")
    started = time.monotonic()
    try:
        if jaeger:
            jaeger.start()
        stack.start(names)
        click.echo(f"ready in {time.monotonic() - started:.1f} s")
        _print_table(stack, names, data_dir)
        stopping.wait()
    finally:
        click.echo("\nstopping ...")
        stack.stop()
        if jaeger:
            jaeger.stop()
        click.echo("stopped.")


def _print_table(stack: Stack, names: list[str], data_dir: Path) -> None:
    rows = [("localstack", stack.localstack.url, "-")]
    rows += [(n, stack.url(n), f"{stack.url(n)}/docs") for n in names]
    width = max(len(r[1]) for r in rows)
    click.echo("\n" + "service".ljust(14) + "url".ljust(width + 2) + "api docs")
    for name, url, docs in rows:
        click.echo(name.ljust(14) + url.ljust(width + 2) + docs)
    click.echo(f"\nlogs: {data_dir / 'logs'}   Ctrl-C stops everything.")


if __name__ == "__main__":
    app()
