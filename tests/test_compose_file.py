"""Static checks of the compose path (no Docker needed): part of `make test`.

The compose file, the Dockerfile, the topology, the contract's table of accounts
and ports, the services' settings and the PostgreSQL init script must agree.
The checker lives in tests/support/compose.py; the tests below run it on the
real files, then on broken copies to show that each kind of disagreement fails.
The compose smoke (`make compose-smoke`) then runs the same file for real.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import re
import shutil
import subprocess
import tomllib

import pytest
import yaml

from causeway import topology as topology_module
from tests.support import compose as compose_support
from tests.support.compose import ROOT

TOPOLOGY = topology_module.default()


def check(compose=None, topology=None, contract=None, targets=None) -> list[str]:
    return compose_support.problems(
        compose if compose is not None else compose_support.load(),
        topology or TOPOLOGY,
        contract if contract is not None else compose_support.contract_table(),
        targets if targets is not None else compose_support.dockerfile_targets(),
    )


def test_compose_file_agrees_with_the_topology_the_contract_and_the_dockerfile():
    assert check() == []


def test_the_contract_table_is_read_completely():
    # A parser that silently read nothing would make the agreement test vacuous.
    table = compose_support.contract_table()
    assert set(TOPOLOGY.services) <= set(table)
    assert table["localstack"] == (None, [4566])
    assert table["jaeger"] == (None, [16686, 4317, 4318])


def test_the_init_script_makes_one_database_and_role_per_service_with_the_passwords_compose_passes():
    postgres = compose_support.environment(compose_support.load()["services"]["postgres"])
    databases = compose_support.init_script_databases(postgres)
    assert sorted(databases) == sorted(TOPOLOGY.services)
    for name, (database, password) in databases.items():
        assert (database, password) == (name, postgres[f"DB_PASSWORD_{name.upper()}"])
    # A password set for the container reaches the script.
    assert compose_support.init_script_databases({**postgres, "DB_PASSWORD_ORDERS": "s3cret"})["orders"] == (
        "orders",
        "s3cret",
    )


# -- the checker fails on each kind of disagreement --------------------------------------------


def _service(compose: dict, name: str) -> dict:
    return compose["services"][name]


def _set_env(name: str, key: str, value):
    def mutate(compose: dict) -> None:
        _service(compose, name).setdefault("environment", {})[key] = value

    return mutate


def _set(name: str, key: str, value):
    def mutate(compose: dict) -> None:
        _service(compose, name)[key] = value

    return mutate


def _drop_identity_dependency(compose: dict) -> None:
    _service(compose, "platform")["depends_on"] = {
        k: v for k, v in _service(compose, "platform")["depends_on"].items() if k != "identity"
    }


def _depend_on_jaeger(compose: dict) -> None:
    _service(compose, "orders")["depends_on"] = {
        **_service(compose, "orders")["depends_on"],
        "jaeger": {"condition": "service_started"},
    }


MUTATIONS = {
    "account id": (_set_env("orders", "AWS_ACCESS_KEY_ID", "444444444444"), "orders: AWS_ACCESS_KEY_ID="),
    "published port": (
        _set("billing", "ports", ["127.0.0.1:${CAUSEWAY_PORT_BILLING:-8014}:8014"]),
        "billing: ports",
    ),
    "fixed host port": (_set("billing", "ports", ["127.0.0.1:8004:8004"]), "movable with CAUSEWAY_PORT_BILLING"),
    "PORT": (_set_env("inventory", "PORT", "8013"), "inventory: PORT="),
    "env key that is no setting": (_set_env("notifications", "NOTIFY_MODE", "loud"), "not settings"),
    "queue name in env": (_set_env("orders", "QUEUE_URL", "orders-events"), "names AWS resources"),
    "another service's database": (
        _set_env(
            "subscriptions", "DATABASE_URL", "postgresql+psycopg://billing:billing-db-password@postgres:5432/billing"
        ),
        "subscriptions: DATABASE_URL",
    ),
    "password the init script does not set": (
        _set_env("postgres", "DB_PASSWORD_ORDERS", "changed"),
        "orders: DATABASE_URL",
    ),
    "sqlite fallback": (_set_env("identity", "DATABASE_URL", None), "identity: DATABASE_URL is not set"),
    "start order": (_drop_identity_dependency, "platform: depends_on"),
    "jaeger dependency": (_depend_on_jaeger, "depends on jaeger"),
    "build target": (
        _set("orders", "build", {"context": ".", "target": "billing", "args": {"SERVICE": "orders"}}),
        "orders: build target",
    ),
    "LocalStack services": (_set_env("localstack", "SERVICES", "events,sqs"), "localstack: SERVICES="),
    "LocalStack image": (_set("localstack", "image", "localstack/localstack:latest"), "localstack: image"),
    "postgres port": (_set("postgres", "ports", ["5432:5432"]), "postgres: publishes"),
    "jaeger tag": (_set("jaeger", "image", "jaegertracing/jaeger:latest"), "jaeger: image"),
    "restart policy": (_set("inventory", "restart", "no"), "inventory: restart"),
}


@pytest.mark.parametrize("mutation", MUTATIONS, ids=list(MUTATIONS))
def test_the_checker_fails_when_compose_disagrees(mutation):
    mutate, expected = MUTATIONS[mutation]
    compose = copy.deepcopy(compose_support.load())
    mutate(compose)
    found = check(compose)
    assert any(expected in problem for problem in found), found


def test_the_checker_fails_when_a_service_is_missing_or_unknown():
    compose = copy.deepcopy(compose_support.load())
    compose["services"]["shipping"] = compose["services"].pop("notifications")
    found = check(compose)
    assert any("missing" in p and "notifications" in p for p in found), found
    assert any("does not know" in p and "shipping" in p for p in found), found


def test_the_checker_fails_when_the_contract_disagrees_with_the_topology():
    contract = compose_support.contract_table()
    contract["orders"] = ("333333333333", [8012])
    assert any("orders: contract says" in p for p in check(contract=contract))


def test_the_checker_fails_when_the_topology_disagrees_with_compose_and_the_contract():
    moved = dataclasses.replace(TOPOLOGY.services["billing"], account="999999999999", port=8104)
    topology = dataclasses.replace(TOPOLOGY, services={**TOPOLOGY.services, "billing": moved})
    found = check(topology=topology)
    assert any("billing: contract says" in p for p in found), found
    assert any("billing: AWS_ACCESS_KEY_ID=" in p for p in found), found
    assert any("billing: ports" in p for p in found), found


def test_the_checker_fails_when_a_dockerfile_target_runs_another_service():
    text = (ROOT / "Dockerfile").read_text()
    text = text.replace('CMD ["causeway-serve", "orders"]', 'CMD ["causeway-serve", "billing"]')
    assert any("orders: Dockerfile target runs" in p for p in check(targets=compose_support.dockerfile_targets(text)))


# -- the images: one Dockerfile, small, unprivileged ---------------------------------------------


def test_every_service_is_a_workspace_package_the_dockerfile_can_install():
    # The Dockerfile installs `causeway-<SERVICE>` from uv.lock with `--frozen`.
    members = set(tomllib.loads((ROOT / "uv.lock").read_text())["manifest"]["members"])
    for name in TOPOLOGY.services:
        assert f"causeway-{name}" in members, f"uv.lock has no workspace member causeway-{name}"


def test_the_dockerfile_builds_small_unprivileged_images_from_a_python_slim_base():
    text = (ROOT / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.\d+-slim$", text, re.M)
    stages = compose_support.dockerfile_targets()
    assert {t.base for t in stages.values() if t.name in TOPOLOGY.services} == {"runtime"}
    runtime = joined.split("AS runtime", 1)[1].split("\nFROM ", 1)[0]
    assert re.search(r"^USER (\d+)(:\d+)?$", runtime, re.M) and not re.search(r"^USER (0|root)\b", runtime, re.M)
    assert "COPY --from=build /opt/venv /opt/venv" in runtime  # only the virtual environment crosses over
    assert not re.search(r"^(RUN|COPY) .*\buv\b", runtime, re.M), "uv or its cache in the final image"
    assert "HEALTHCHECK" in runtime and compose_support.HEALTHCHECK_SCRIPT in runtime
    assert not re.search(r"^(ARG|ENV) .*(PASSWORD|SECRET|TOKEN|PRIVATE)", joined, re.M)
    assert "--no-cache-dir" in joined and "--frozen" in joined and "--no-dev" in joined


def test_dockerignore_keeps_local_state_out_of_the_build_context():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    for pattern in (".git", ".venv*", "data", "tests", ".env"):
        assert pattern in ignored, f".dockerignore lacks {pattern} (tests/ holds the compose smoke's 1 GB cache)"


# -- compose itself accepts the file ------------------------------------------------------------


def _clean_env() -> dict[str, str]:
    """The environment of a user who set nothing: every default of the file applies."""
    prefixes = ("CAUSEWAY_PORT_", "DB_PASSWORD_", "POSTGRES_", "LOCALSTACK_AUTH_TOKEN", "COMPOSE_", "DOCKER_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def _compose_commands() -> list[list[str]]:
    commands = []
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        commands.append([docker, "compose"])
    if shutil.which("docker-compose"):
        commands.append([shutil.which("docker-compose")])
    return commands


@pytest.mark.parametrize(
    "command", _compose_commands() or [None], ids=lambda c: " ".join(os.path.basename(p) for p in c) if c else "none"
)
def test_compose_validates_the_file_and_resolves_it_as_the_checker_does(command):
    if command is None:
        missing = "neither `docker compose` nor docker-compose is installed"
        if os.environ.get("CAUSEWAY_REQUIRE_COMPOSE") == "1":  # CI installs docker-compose and sets it
            pytest.fail(f"CAUSEWAY_REQUIRE_COMPOSE=1 but {missing}")
        pytest.skip(missing)
    run = subprocess.run(
        [*command, "-f", str(ROOT / "docker-compose.yml"), "config"],
        cwd=ROOT,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    resolved = yaml.safe_load(run.stdout)["services"]
    ours = compose_support.load()["services"]
    for name in TOPOLOGY.services:
        theirs = {k: None if v is None else str(v) for k, v in (resolved[name].get("environment") or {}).items()}
        assert theirs == compose_support.environment(ours[name]), name
