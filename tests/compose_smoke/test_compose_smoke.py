"""`make compose-smoke`: the real docker-compose.yml, built and run here, end to end.

Runs only through `standins.py run` (which provides the daemon, the stand-in base
images and DOCKER_HOST, and tears everything down afterwards); the default test
run ignores this folder (`--ignore=tests/compose_smoke` in pyproject.toml).

What it does, against the unchanged compose file:
- builds every service's image from the one Dockerfile;
- starts everything but Jaeger (no PyPI or Debian build of it exists; nothing
  depends on it, and the services' OTLP exporter tolerates its absence) on free
  host ports (CAUSEWAY_PORT_<NAME>), so it runs beside `make dev`;
- waits for every container to be healthy, then runs the order and upgrade flows
  over HTTP against the containers, and checks the isolation the compose path
  promises: a database and a role per service, an AWS account per service,
  unprivileged images without credentials, caches or build tools;
- removes the project (containers, network, volume) and checks nothing is left.

Timings and image sizes are printed (the make target runs pytest with -s).
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError

from causeway import topology as topology_module
from causeway.serve import load_service
from causeway_devstack.processes import free_port
from tests.support import aws
from tests.support.api import Api
from tests.support.people import Person, claims, ok, sign_in
from tests.support.polling import eventually, within

pytestmark = pytest.mark.timeout(1800)  # a cold image build is part of the first test's setup

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LOGS = Path(os.environ.get("COMPOSE_SMOKE_CACHE", HERE / ".cache")).resolve() / "logs"
PROJECT = "causewaysmoke"
TOPOLOGY = topology_module.default()
SERVICES = list(TOPOLOGY.services)
# Jaeger stays out: there is no stand-in for it (see the module docstring).
INFRASTRUCTURE = ["localstack", "postgres"]
DEPS_CACHE_TAG = "causeway-smoke-cache/deps:latest"
HEALTHY_WITHIN = 300.0
# Host mode's tests give a flow 5 s to settle. Here the same outcomes are required, but
# seven containers, LocalStack and PostgreSQL share a loaded 2-core machine with other
# work, so the deadline is wider; the measured times are printed.
SETTLE_SECONDS = float(os.environ.get("COMPOSE_SMOKE_SETTLE_SECONDS", "15"))
# Values that must never appear in an image's history (build args, ENV, RUN lines).
CREDENTIALS = ("dev-secret", "db-password", "password", "secret", "auth_token", "private key", "aws_access_key")
# What must not be left by the build in the service's own layers.
BUILD_LEFTOVERS = ("uv sync", "uv==", "pip install", ".cache", "uv.lock", "/src")


def report(message: str) -> None:
    print(f"[compose-smoke] {message}", flush=True)


def run(argv: list[str], *, env: dict | None = None, timeout: float = 120, check: bool = True, log: Path | None = None):
    if log:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("w") as out:
            result = subprocess.run(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
        if check and result.returncode:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-40:])
            pytest.fail(f"{' '.join(argv)} failed ({result.returncode}):\n{tail}\n(full log: {log})")
        return result
    result = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode:
        pytest.fail(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def docker(*args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    return run(["docker", *args], check=check, timeout=timeout)


def compose_command() -> list[str]:
    """As the Makefile: Docker Compose v2 if the client has it, else docker-compose (1.29 here)."""
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"]


@dataclass
class Smoke:
    env: dict[str, str]
    ports: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)

    def compose(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return run([*compose_command(), "-f", str(ROOT / "docker-compose.yml"), *args], env=self.env, **kwargs)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def api(self) -> Api:
        return Api(urls={name: self.url(name) for name in SERVICES})

    def container(self, service: str) -> str:
        found = self.compose("ps", "-q", service).stdout.split()
        assert len(found) == 1, f"{service}: containers {found}"
        return found[0]

    def containers(self) -> list[str]:
        return docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}").stdout.split()

    def psql(self, *args: str) -> subprocess.CompletedProcess:
        return docker("exec", self.container("postgres"), "psql", "-v", "ON_ERROR_STOP=1", "-tA", *args, check=False)


def clean_env() -> dict[str, str]:
    """The caller's environment without anything that would change what compose does."""
    drop = ("CAUSEWAY_PORT_", "DB_PASSWORD_", "POSTGRES_", "LOCALSTACK_AUTH_TOKEN")
    own = ("COMPOSE_FILE", "COMPOSE_PROJECT_NAME", "COMPOSE_PROFILES", "COMPOSE_ENV_FILES")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop) and k not in own}


def wait_until_healthy(smoke: Smoke, names: list[str]) -> None:
    deadline = time.monotonic() + HEALTHY_WITHIN
    while True:
        ids = smoke.compose("ps", "-q", *names).stdout.split()
        states = docker(
            "inspect",
            "--format",
            "{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}",
            *ids,
        ).stdout.split("\n")
        states = [s.split() for s in states if s.strip()]
        if len(ids) == len(names) and all(s[1:] == ["running", "healthy"] for s in states):
            return
        broken = [s for s in states if s[1] != "running" or s[2:] == ["unhealthy"]]
        if broken or time.monotonic() > deadline:
            logs = smoke.compose("logs", "--no-color", "--tail=60", check=False).stdout
            pytest.fail(f"not healthy: {states}\n{logs[-12000:]}")
        time.sleep(1)


@pytest.fixture(scope="module")
def smoke() -> Smoke:
    if not os.environ.get("DOCKER_HOST"):
        pytest.fail("run through `make compose-smoke` (standins.py run provides the daemon and DOCKER_HOST)")
    ports = {name: free_port() for name in [*SERVICES, "localstack"]}
    env = {**clean_env(), "COMPOSE_PROJECT_NAME": PROJECT}
    env.update({f"CAUSEWAY_PORT_{name.upper()}": str(port) for name, port in ports.items()})
    smoke = Smoke(env=env, ports=ports)
    smoke.compose("down", "--volumes", "--remove-orphans", check=False)  # a crashed run's leftovers
    try:
        started = time.monotonic()
        # Tag the Dockerfile's `deps` stage (uv and the locked dependencies, the slow,
        # network-bound part): untagged stages are pruned by `standins.py down`, a tagged
        # one stays in the daemon's cache for the next run. Compose's builds reuse it.
        run(["docker", "build", "--target", "deps", "-t", DEPS_CACHE_TAG, "."], timeout=1500, log=LOGS / "deps.log")
        smoke.compose("build", *SERVICES, timeout=1500, log=LOGS / "compose-build.log")
        smoke.timings["build (7 images, sequential)"] = time.monotonic() - started
        started = time.monotonic()
        smoke.compose("up", "-d", "--no-build", *INFRASTRUCTURE, *SERVICES, timeout=600, log=LOGS / "compose-up.log")
        wait_until_healthy(smoke, [*INFRASTRUCTURE, *SERVICES])
        smoke.timings["up until all healthy"] = time.monotonic() - started
        report(f"ports: {ports}")
        yield smoke
    finally:
        smoke.compose("logs", "--no-color", "--timestamps", check=False, log=LOGS / "compose-services.log")
        started = time.monotonic()
        smoke.compose("down", "--volumes", "--remove-orphans", "--timeout", "10", check=False, timeout=300)
        smoke.timings["down -v"] = time.monotonic() - started
        for step, seconds in smoke.timings.items():
            report(f"{step}: {seconds:.1f} s")
        left = {
            "containers": smoke.containers(),
            "networks": docker("network", "ls", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}").stdout,
            "volumes": docker("volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}").stdout,
        }
        assert not any(v for v in left.values()), f"left behind by `down -v`: {left}"


# -- health and accounts -------------------------------------------------------------------------


def test_every_service_is_ready_and_talks_to_localstack_as_its_own_account(smoke):
    running = set(smoke.compose("ps", "--services", "--filter", "status=running").stdout.split())
    assert running == {*INFRASTRUCTURE, *SERVICES}, running  # and no Jaeger
    for name in SERVICES:
        ready = httpx.get(f"{smoke.url(name)}/readyz", timeout=10)
        # "aws": ok means STS GetCallerIdentity answered the service's own account (service.py _check_aws).
        assert ready.status_code == 200 and set(ready.json()["checks"].values()) == {"ok"}, (name, ready.text)
        env = dict(
            line.split("=", 1)
            for line in docker(
                "inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", smoke.container(name)
            ).stdout.splitlines()
            if "=" in line
        )
        assert env["AWS_ACCESS_KEY_ID"] == TOPOLOGY.services[name].account, name
        assert env["DATABASE_URL"].startswith(f"postgresql+psycopg://{name}:"), name
        assert httpx.get(f"{smoke.url(name)}/docs", timeout=10).status_code == 200, f"{name}: no Swagger UI"


def test_each_subscribers_bus_and_queue_exist_only_in_its_own_account(smoke):
    endpoint = f"http://127.0.0.1:{smoke.ports['localstack']}"
    accounts = sorted({spec.account for spec in TOPOLOGY.services.values()})
    for spec in TOPOLOGY.subscribers:
        for account in accounts:
            sqs = aws.client("sqs", endpoint=endpoint, account=account)
            try:
                url = sqs.get_queue_url(QueueName=spec.queue_name)["QueueUrl"]
            except ClientError:
                url = None
            if account == spec.account:
                assert url and f"/{account}/" in url, f"{spec.queue_name} missing in {account}"
            else:
                assert url is None, f"{spec.queue_name} also exists in account {account}"
        events = aws.client("events", endpoint=endpoint, account=spec.account)
        assert events.describe_event_bus(Name=spec.bus_name)["Arn"] == spec.bus_arn
    hub = aws.client("events", endpoint=endpoint, account=TOPOLOGY.hub.account)
    assert hub.describe_event_bus(Name=TOPOLOGY.hub_bus_name)["Arn"] == TOPOLOGY.hub_bus_arn
    rules = {r["Name"] for r in hub.list_rules(EventBusName=TOPOLOGY.hub_bus_name)["Rules"]}
    assert rules == {spec.hub_rule_name for spec in TOPOLOGY.subscribers}


# -- the two choreographies, as in host mode ------------------------------------------------------


def equals(probe, expected):
    """A probe for `within`: asserts, so that a False is retried rather than returned."""

    def check():
        value = probe()
        assert value == expected, f"{value!r} != {expected!r}"
        return value

    return check


def stock(smoke: Smoke, sku: str) -> int:
    return ok(httpx.get(f"{smoke.url('inventory')}/products/{sku}", timeout=10))["stock"]


def settled(person: Person, order_id: str):
    def probe() -> dict:
        order = ok(person.client("orders").get(f"/orders/{order_id}"))
        assert order["status"] != "PENDING", order
        return order

    return probe


def customer(smoke: Smoke, email: str) -> Person:
    person = sign_in(smoke.api, email)
    eventually(person.wallet, timeout=30)  # opened through UserRegistered when identity seeded them
    eventually(person.subscription, timeout=30)
    return person


def test_alice_orders_two_books_and_the_order_is_confirmed(smoke):
    alice = customer(smoke, "alice@example.com")
    assert alice.balance() == 10_000 and stock(smoke, "SKU-BOOK") == 100  # a fresh stack
    eventually(lambda: ok(smoke.api.client("orders").get("/catalogue/SKU-BOOK")), timeout=30)

    started = time.monotonic()
    deadline = started + SETTLE_SECONDS
    placed = ok(alice.client("orders").post("/orders", json={"items": [{"sku": "SKU-BOOK", "quantity": 2}]}), 202)
    assert (placed["status"], placed["total"], placed["currency"]) == ("PENDING", 2400, "USD")
    order = within(deadline, settled(alice, placed["id"]))
    assert order["status"] == "CONFIRMED", order
    within(deadline, equals(alice.balance, 7_600))
    within(deadline, equals(lambda: stock(smoke, "SKU-BOOK"), 98))
    [note] = within(
        deadline,
        lambda: [n for n in alice.notifications("order-confirmed") if placed["id"] in n["subject"] + n["body"]],
    )
    smoke.timings["order flow: placed -> confirmed, charged, reserved, notified"] = time.monotonic() - started
    report(f"alice: order {placed['id']} CONFIRMED, wallet 7600, SKU-BOOK stock 98, notified: {note['subject']!r}")


def test_bob_upgrades_to_pro_and_his_next_mug_costs_720(smoke):
    bob = customer(smoke, "bob@example.com")
    assert (bob.subscription()["plan"], bob.balance()) == ("free", 10_000)

    started = time.monotonic()
    deadline = started + SETTLE_SECONDS
    accepted = ok(bob.client("subscriptions").post("/subscriptions/me/upgrade", json={"plan": "pro"}), 202)
    assert (accepted["plan"], accepted["pendingPlan"]) == ("free", "pro")
    within(deadline, equals(lambda: (bob.subscription()["plan"], bob.subscription()["pendingPlan"]), ("pro", None)))
    within(deadline, equals(bob.balance, 8_500))
    within(deadline, equals(lambda: claims(bob.fresh_token()).get("plan"), "pro"))
    within(deadline, lambda: bob.notifications("subscription-upgraded"))
    quote = {"items": [{"sku": "SKU-MUG", "quantity": 1}]}
    within(deadline, equals(lambda: ok(bob.client("orders").post("/orders/quote", json=quote))["total"], 720))
    smoke.timings["upgrade flow: requested -> pro, charged, token, notified, discount"] = time.monotonic() - started

    deadline = time.monotonic() + SETTLE_SECONDS
    placed = ok(bob.client("orders").post("/orders", json=quote), 202)
    assert (placed["total"], placed["currency"]) == (720, "USD")
    assert within(deadline, settled(bob, placed["id"]))["status"] == "CONFIRMED"
    within(deadline, equals(bob.balance, 8_500 - 720))
    report("bob: plan pro, wallet 8500, token plan=pro, SKU-MUG order 720 CONFIRMED, wallet 7780")


def test_each_service_consumed_the_queue_of_its_own_account(smoke):
    endpoint = f"http://127.0.0.1:{smoke.ports['localstack']}"

    def depths() -> dict[str, tuple[int, int]]:
        found = {}
        for spec in TOPOLOGY.subscribers:
            sqs = aws.client("sqs", endpoint=endpoint, account=spec.account)
            counts = []
            for name in (spec.queue_name, spec.dlq_name):
                attributes = sqs.get_queue_attributes(
                    QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"],
                    AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                )["Attributes"]
                counts.append(sum(int(v) for v in attributes.values()))
            found[spec.name] = tuple(counts)
        return found

    # Each queue exists only in its subscriber's account (test above): empty queues and
    # dead-letter queues after the flows mean each service consumed as its own account.
    eventually(equals(depths, {spec.name: (0, 0) for spec in TOPOLOGY.subscribers}), timeout=30, interval=0.5)


# -- one database and one role per service ---------------------------------------------------------


def own_tables(name: str) -> set[str]:
    metadata = load_service(name).metadata
    return set(metadata.tables) if metadata is not None else set()


def test_each_services_data_is_in_its_own_database(smoke):
    tables = {}
    for name in SERVICES:
        listed = smoke.psql(
            "-U", "postgres", "-d", name, "-c", "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
        assert listed.returncode == 0, listed.stderr
        tables[name] = set(listed.stdout.split())
    for name in SERVICES:
        assert {"alembic_version", "causeway_outbox", "causeway_inbox"} <= tables[name], (name, tables[name])
        assert own_tables(name) <= tables[name], f"{name}'s tables are not in its database: {tables[name]}"
        for other in SERVICES:
            if other != name:
                assert not own_tables(name) & tables[other], f"{name}'s tables in {other}'s database"
    # and the flows' data landed there
    counts = {}
    for name in SERVICES:
        if own_tables(name):
            union = " UNION ALL ".join(f'SELECT count(*) FROM "{t}"' for t in sorted(own_tables(name)))
            counted = smoke.psql("-U", "postgres", "-d", name, "-c", f"SELECT sum(count) FROM ({union}) AS c")
            counts[name] = int(counted.stdout.strip())
    assert all(counts.values()), counts
    sent = {
        spec.name: int(
            smoke.psql("-U", "postgres", "-d", spec.name, "-c", "SELECT count(*) FROM causeway_outbox").stdout
        )
        for spec in TOPOLOGY.producers
    }
    assert all(sent.values()), f"each producer's events go out through the outbox of its own database: {sent}"
    report(f"rows in each service's own tables: {counts}; outbox rows: {sent}")


def test_a_services_role_can_use_only_its_own_database(smoke):
    def connect(role: str, database: str) -> subprocess.CompletedProcess:
        url = f"postgresql://{role}:{role}-db-password@127.0.0.1:5432/{database}"
        return smoke.psql(url, "-c", "SELECT current_user, current_database()")

    pairs = [(name, SERVICES[(i + 1) % len(SERVICES)]) for i, name in enumerate(SERVICES)] + [("orders", "billing")]
    for role, other in pairs:
        own = connect(role, role)
        assert (own.returncode, own.stdout.strip()) == (0, f"{role}|{role}"), own.stderr
        denied = connect(role, other)
        assert denied.returncode != 0 and "permission denied for database" in denied.stderr, (role, other, denied)
    superusers = smoke.psql("-U", "postgres", "-c", "SELECT rolname FROM pg_roles WHERE rolsuper").stdout.split()
    assert superusers == ["postgres"], superusers


# -- the images ----------------------------------------------------------------------------------


def test_the_images_run_unprivileged_and_hold_no_credentials_caches_or_build_tools(smoke):
    base_layers = len(docker("history", "-q", "python:3.13-slim").stdout.split())
    sizes = {}
    for name in SERVICES:
        container = smoke.container(name)
        image = docker("inspect", "--format", "{{.Image}}", container).stdout.strip()
        config = docker("image", "inspect", "--format", "{{.Config.User}} {{json .Config.Cmd}}", image).stdout.strip()
        assert config == f'10001:10001 ["causeway-serve","{name}"]', config
        assert docker("exec", container, "id", "-u").stdout.strip() == "10001"

        history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", image).stdout.splitlines()
        ours = "\n".join(history[: len(history) - base_layers]).lower()
        everything = "\n".join(history).lower()
        assert "in /opt/venv" in ours, ours  # the layers above the base really are ours
        assert not [w for w in CREDENTIALS if w in everything], [w for w in CREDENTIALS if w in everything]
        assert not [w for w in BUILD_LEFTOVERS if w in ours], ours

        probe = (
            "for p in /root/.cache /app/.cache /tmp/uv* /src /opt/venv/bin/uv /usr/local/bin/uv; do"
            ' [ -e "$p" ] && echo "present: $p"; done;'
            ' for t in uv gcc cc make git curl; do command -v $t >/dev/null && echo "tool: $t"; done;'
            " find /opt /app /root /tmp \\( -name '*.whl' -o -name uv.lock -o -name pyproject.toml \\) 2>/dev/null;"
            " true"
        )
        found = docker("run", "--rm", "--user", "0", "--entrypoint", "sh", image, "-c", probe).stdout.strip()
        assert found == "", f"{name}: {found}"
        sizes[name] = int(docker("image", "inspect", "--format", "{{.Size}}", image).stdout) / 1e6
    base = int(docker("image", "inspect", "--format", "{{.Size}}", "python:3.13-slim").stdout) / 1e6
    report(
        f"image sizes (MB, base python:3.13-slim stand-in {base:.0f}): "
        + ", ".join(f"{n} {s:.0f}" for n, s in sizes.items())
    )
