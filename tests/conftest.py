"""The suite's stack: its own LocalStack and every service, on free ports, with its own data.

Nothing here assumes a fixed port is free, so `make test` runs beside `make dev`.
Everything started is stopped at the end of the session.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from causeway_devstack.processes import free_port
from causeway_devstack.stack import Stack, installed_services
from tests.support.api import Api
from tests.support.otlp import Receiver
from tests.support.postgres import ServiceDatabases

# Short windows so behaviour that depends on them shows within a test's deadline.
TEST_ENV = {
    "AUTH_CACHE_SECONDS": "2",
    "CONSUMER_RETRY_BASE_SECONDS": "0",
    "CONSUMER_WAIT_SECONDS": "5",
    "RELAY_IDLE_SECONDS": "1",
    "RELAY_BUS_CHECK_SECONDS": "2",
    # A LocalStack restart in the fault tests re-sends only the last two minutes, not the session.
    "RELAY_REPLAY_SECONDS": "120",
}


def uses_postgres() -> bool:
    """`make test-postgres` runs the suite on PostgreSQL, one database per service, as compose does."""
    return os.environ.get("CAUSEWAY_TEST_DB", "sqlite") == "postgres"


@pytest.fixture(scope="session")
def otlp() -> Receiver:
    """Every process of the suite's stack exports its spans here."""
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, otlp: Receiver) -> Stack:
    data_dir: Path = tmp_path_factory.mktemp("stack")
    names = installed_services()
    databases = ServiceDatabases(services=names) if uses_postgres() else None
    running = Stack(
        database_urls=databases.create() if databases else None,
        data_dir=data_dir,
        localstack_port=free_port(),
        ports={name: free_port() for name in names},
        environment="test",
        # Spans go to the suite's own receiver, never to a developer's collector.
        env={**TEST_ENV, "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"},
    )
    try:
        running.start(names)
        yield running
    finally:
        running.stop()
        if databases:
            databases.drop()


@pytest.fixture(scope="session")
def api(stack: Stack) -> Api:
    return Api(urls={name: stack.url(name) for name in stack.ports})


@pytest.fixture(scope="session")
def aws_endpoint(stack: Stack) -> str:
    return stack.localstack.url


@pytest.fixture(scope="session")
def bare_localstack(tmp_path_factory: pytest.TempPathFactory):
    """A provisioned LocalStack with no service consuming its queues: tests own every queue."""
    from causeway_devstack.localstack import LocalStack

    root = tmp_path_factory.mktemp("bare-localstack")
    localstack = LocalStack(port=free_port(), root=root, log_file=root / "localstack.log")
    localstack.start()
    yield localstack
    localstack.stop()
