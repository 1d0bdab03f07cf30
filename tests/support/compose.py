"""docker-compose.yml as data: interpolation, and its agreement with the topology and the contract.

`problems(...)` returns every disagreement between the compose file, the
topology (sdk/src/causeway/topology.yaml), the contract's table of accounts and
ports (docs/architecture.md), the Dockerfile, the services' settings and the
PostgreSQL init script. Needs no Docker: the static tests run it in `make test`,
and feed it broken copies to prove it notices.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from causeway.config import Settings
from causeway.topology import Topology

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
CONTRACT = ROOT / "docs" / "architecture.md"
INIT_SCRIPT = ROOT / "postgres-init" / "10-service-databases.sh"
PROVISION_HOOK = ROOT / "localstack-init" / "ready.d" / "10-provision.py"

INFRASTRUCTURE = ("localstack", "postgres", "jaeger")
LOCALSTACK_IMAGE = "localstack/localstack:4.12"
POSTGRES_IMAGE = "postgres:16"
JAEGER_IMAGE = re.compile(r"^jaegertracing/jaeger:2\.\d+\.\d+$")  # v2, pinned to a release
HEALTHCHECK_SCRIPT = "/opt/causeway/healthcheck.py"
# Keys a service may get that are not fields of its settings class: the OpenTelemetry
# SDK reads OTEL_* itself (the SDK's settings keep only the endpoint, to decide on export).
EXTRA_SERVICE_KEYS = re.compile(r"^OTEL_[A-Z_]+$")


# -- reading ---------------------------------------------------------------------------------


def load(text: str | None = None) -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text() if text is None else text)


_VARIABLE = re.compile(r"\$(?:\$|\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}|(?P<bare>\w+))")


def interpolate(value: object, env: dict[str, str] | None = None) -> object:
    """Compose's variable substitution (${VAR}, ${VAR:-default}, ${VAR-default}, $VAR, $$)."""
    if not isinstance(value, str):
        return value
    env = env or {}

    def replace(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        op, arg = match.group("op"), match.group("arg") or ""
        current = env.get(name)
        if op == ":-":
            return current if current else arg
        if op == "-":
            return arg if current is None else current
        if op in (":?", "?") and not current:
            raise ValueError(f"{name} is required: {arg}")
        return current or ""

    return _VARIABLE.sub(replace, value)


def environment(service: dict, env: dict[str, str] | None = None) -> dict[str, str | None]:
    raw = service.get("environment") or {}
    if isinstance(raw, list):  # ["KEY=value", "KEY"]
        raw = dict(item.split("=", 1) if "=" in item else (item, None) for item in raw)
    return {key: None if value is None else str(interpolate(value, env)) for key, value in raw.items()}


def contract_table(text: str | None = None) -> dict[str, tuple[str | None, list[int]]]:
    """The contract's "Accounts and ports" table: component -> (account or None, ports)."""
    text = CONTRACT.read_text() if text is None else text
    section = text.split("## Accounts and ports", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str | None, list[int]]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.lstrip().startswith("|") or len(cells) < 3 or cells[0] in ("component", ""):
            continue
        if set(cells[0]) <= {"-"}:  # the header's separator row
            continue
        name = cells[0].split()[0].lower()
        account = cells[1] if re.fullmatch(r"\d{12}", cells[1]) else None
        rows[name] = (account, [int(p) for p in re.findall(r"\d+", cells[2])])
    return rows


@dataclass(frozen=True)
class Target:
    name: str
    base: str
    expose: tuple[int, ...]
    cmd: list | None


def dockerfile_targets(text: str | None = None) -> dict[str, Target]:
    """Stages of the Dockerfile: name -> (base, EXPOSEd ports, CMD in exec form)."""
    text = DOCKERFILE.read_text() if text is None else text
    text = re.sub(r"\\\n", " ", text)
    targets: dict[str, Target] = {}
    current: dict | None = None
    for line in text.splitlines():
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        instruction = words[0].upper()
        if instruction == "FROM":
            name = words[3] if len(words) >= 4 and words[2].upper() == "AS" else f"stage{len(targets)}"
            current = {"name": name, "base": words[1], "expose": [], "cmd": None}
            targets[name] = current  # type: ignore[assignment]
        elif current is not None and instruction == "EXPOSE":
            current["expose"] += [int(p.split("/")[0]) for p in words[1:]]
        elif current is not None and instruction == "CMD":
            body = line.split(None, 1)[1].strip()
            current["cmd"] = yaml.safe_load(body) if body.startswith("[") else body
    return {n: Target(n, t["base"], tuple(t["expose"]), t["cmd"]) for n, t in targets.items()}  # type: ignore[index]


# Stands in for psql when the init script runs here: records each call's arguments.
FAKE_PSQL = """#!/bin/sh
for a in "$@"; do printf '%s\\n' "$a"; done >> "$PSQL_CALLS"
echo --- >> "$PSQL_CALLS"
cat >/dev/null
"""


def init_script_databases(env: dict[str, str | None]) -> dict[str, tuple[str, str]]:
    """Run the real PostgreSQL init script against a fake psql: service -> (database/role, password).

    `env` is the postgres container's environment, so passwords set there count.
    """
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "calls"
        fake = Path(tmp) / "psql"
        fake.write_text(FAKE_PSQL)
        fake.chmod(0o755)
        run_env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_PASSWORD_", "CAUSEWAY_", "POSTGRES_"))}
        run_env.update({k: v for k, v in env.items() if v is not None})
        run_env.update(PATH=f"{tmp}:{os.environ.get('PATH', '')}", PSQL_CALLS=str(log))
        subprocess.run(["sh", str(INIT_SCRIPT)], env=run_env, check=True, capture_output=True)
        calls = log.read_text().split("---\n")
    found: dict[str, tuple[str, str]] = {}
    for call in filter(None, calls):
        args = call.splitlines()
        variables = dict(args[i + 1].split("=", 1) for i, a in enumerate(args) if a == "-v")
        found[variables["name"]] = (variables["name"], variables["password"])
    return found


@functools.cache
def settings_keys(service: str) -> frozenset[str]:
    """Environment keys the service reads: its settings class's fields, upper-cased."""
    from causeway.serve import load_service

    try:
        settings_class = load_service(service).settings_class
    except SystemExit:  # not installed (yet): the SDK's common keys
        settings_class = Settings
    return frozenset(name.upper() for name in settings_class.model_fields)


# -- checking --------------------------------------------------------------------------------


def problems(
    compose: dict,
    topology: Topology,
    contract: dict[str, tuple[str | None, list[int]]],
    targets: dict[str, Target],
) -> list[str]:
    found: list[str] = []
    services: dict = compose.get("services") or {}
    names = list(topology.services)

    if "version" in compose:
        found.append("top-level `version` is obsolete in Compose v2 and makes 1.29 reject depends_on conditions")
    missing = (set(names) | set(INFRASTRUCTURE)) - set(services)
    extra = set(services) - set(names) - set(INFRASTRUCTURE)
    if missing:
        found.append(f"services missing from compose: {sorted(missing)}")
    if extra:
        found.append(f"compose runs services the topology does not know: {sorted(extra)}")

    # the contract and the topology
    for name, spec in topology.services.items():
        if name not in contract:
            found.append(f"{name}: not in the contract's table of accounts and ports")
        elif contract[name] != (spec.account, [spec.port]):
            found.append(f"{name}: contract says account/port {contract[name]}, topology {spec.account}/{spec.port}")

    identity_port = topology.services["identity"].port if "identity" in topology.services else None
    postgres_env = environment(services.get("postgres") or {})
    databases = init_script_databases(postgres_env)
    if sorted(databases) != sorted(names):
        found.append(f"the init script creates databases {sorted(databases)}, the topology has {sorted(names)}")
    resource_names = {topology.hub_bus_name} | {
        n for s in topology.services.values() for n in (s.queue_name, s.dlq_name, s.bus_name)
    }

    for name in names:
        service = services.get(name)
        if service is None:
            continue
        spec = topology.services[name]
        where = f"{name}:"
        # image: built from the one Dockerfile, this service's package and target
        build = service.get("build") or {}
        if not isinstance(build, dict) or build.get("context") != ".":
            found.append(f"{where} build context must be the repository root ('.'), got {build!r}")
            build = build if isinstance(build, dict) else {}
        if build.get("dockerfile", "Dockerfile") != "Dockerfile":
            found.append(f"{where} builds from {build.get('dockerfile')}, not the shared Dockerfile")
        if build.get("target") != name:
            found.append(f"{where} build target is {build.get('target')!r}, not {name!r}")
        if (build.get("args") or {}).get("SERVICE") != name:
            found.append(f"{where} build arg SERVICE is {(build.get('args') or {}).get('SERVICE')!r}, not {name!r}")
        target = targets.get(name)
        if target is None:
            found.append(f"{where} the Dockerfile has no target {name!r}")
        else:
            if target.cmd != ["causeway-serve", name]:
                found.append(f"{where} Dockerfile target runs {target.cmd!r}, not ['causeway-serve', {name!r}]")
            if target.expose != (spec.port,):
                found.append(f"{where} Dockerfile target exposes {target.expose}, the topology's port is {spec.port}")
        if "image" in service:
            found.append(f"{where} names an image ({service['image']}): compose could pull someone else's image")

        # ports: the contract's port inside and, by default, on the host
        ports = [interpolate(p) for p in service.get("ports") or []]
        variable = f"CAUSEWAY_PORT_{name.upper()}"
        expected_port = f"127.0.0.1:{spec.port}:{spec.port}"
        if ports != [expected_port]:
            found.append(f"{where} ports {ports}, expected [{expected_port!r}] (port {spec.port} of the topology)")
        elif interpolate(service["ports"][0], {variable: "1"}) != f"127.0.0.1:1:{spec.port}":
            found.append(f"{where} the host port must be movable with {variable}")

        # environment: every key is a setting, every value agrees with the topology
        env = environment(service)
        unknown = sorted(k for k in env if k not in settings_keys(name) and not EXTRA_SERVICE_KEYS.match(k))
        if unknown:
            found.append(f"{where} environment keys that are not settings of the service: {unknown}")
        expected = {
            "CAUSEWAY_ENV": "dev",
            "HOST": "0.0.0.0",
            "PORT": str(spec.port),
            "PUBLIC_URL": f"http://localhost:{spec.port}",
            "AWS_ACCESS_KEY_ID": spec.account,
            "AWS_ENDPOINT_URL": "http://localstack:4566",
            "AWS_REGION": topology.region,
            "IDENTITY_URL": f"http://identity:{identity_port}",
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://jaeger:4318",
        }
        for key, value in expected.items():
            if env.get(key) != value:
                found.append(f"{where} {key}={env.get(key)!r}, expected {value!r}")
        if (
            "PUBLIC_URL" in env
            and interpolate((service.get("environment") or {}).get("PUBLIC_URL", ""), {variable: "1"})
            != "http://localhost:1"
        ):
            found.append(f"{where} PUBLIC_URL must follow {variable} (it is how clients reach the service)")
        if env.get("AWS_ACCOUNT_ID") not in (None, spec.account):
            found.append(f"{where} AWS_ACCOUNT_ID={env['AWS_ACCOUNT_ID']}, topology account {spec.account}")
        if not env.get("AWS_SECRET_ACCESS_KEY"):
            found.append(f"{where} AWS_SECRET_ACCESS_KEY is needed, or the access key id is ignored")
        found += _database_problems(where, name, env.get("DATABASE_URL"), databases)
        mentioned = sorted(n for n in resource_names for v in env.values() if v and n in v)
        if mentioned:
            found.append(f"{where} environment names AWS resources {mentioned}: the topology is their only source")

        # start order, health, restarts
        depends = service.get("depends_on") or {}
        wanted = {"localstack", "postgres"} | ({"identity"} if name != "identity" else set())
        if (
            not isinstance(depends, dict)
            or set(depends) != wanted
            or any((depends[d] or {}).get("condition") != "service_healthy" for d in depends)
        ):
            found.append(f"{where} depends_on {depends!r}, expected {sorted(wanted)} with condition service_healthy")
        test = (service.get("healthcheck") or {}).get("test") or []
        if HEALTHCHECK_SCRIPT not in " ".join(test):
            found.append(f"{where} healthcheck {test!r} does not run {HEALTHCHECK_SCRIPT} (GET /readyz)")
        if service.get("restart") != "unless-stopped":
            found.append(f"{where} restart is {service.get('restart')!r}, expected 'unless-stopped'")

    found += _infrastructure_problems(compose, contract)
    for name, service in services.items():
        if "jaeger" in (service.get("depends_on") or {}):
            found.append(f"{name}: depends on jaeger (the compose smoke runs without it; traces are optional)")
    return found


def _database_problems(where: str, name: str, url: str | None, databases: dict[str, tuple[str, str]]) -> list[str]:
    if not url:
        return [f"{where} DATABASE_URL is not set (the service would fall back to SQLite)"]
    parts = urlsplit(url)
    database, password = databases.get(name, (None, None))
    actual = (parts.scheme, parts.hostname, parts.port, parts.path.lstrip("/"), parts.username, parts.password)
    expected = ("postgresql+psycopg", "postgres", 5432, database, database, password)
    if actual != expected:
        shown = lambda t: (*t[:5], "***" if t[5] else None)  # noqa: E731
        return [f"{where} DATABASE_URL {shown(actual)} is not its own database and role {shown(expected)}"]
    return []


def _infrastructure_problems(compose: dict, contract: dict) -> list[str]:
    found: list[str] = []
    services: dict = compose.get("services") or {}
    localstack = services.get("localstack") or {}
    if localstack.get("image") != LOCALSTACK_IMAGE:
        found.append(f"localstack: image {localstack.get('image')!r}, expected {LOCALSTACK_IMAGE!r}")
    from causeway_devstack.localstack import SERVICES as HOST_MODE_SERVICES

    env = environment(localstack)
    for key, value in {
        "SERVICES": HOST_MODE_SERVICES,  # the same AWS services as host mode
        "SQS_DISABLE_CLOUDWATCH_METRICS": "1",
        "DISABLE_EVENTS": "1",
    }.items():
        if env.get(key) != value:
            found.append(f"localstack: {key}={env.get(key)!r}, expected {value!r}")
    if "LOCALSTACK_AUTH_TOKEN" not in env or env["LOCALSTACK_AUTH_TOKEN"] not in (None, ""):
        found.append("localstack: LOCALSTACK_AUTH_TOKEN must be passed through from the shell, never set here")
    hook_default = re.search(r'CAUSEWAY_SDK_PATH", "([^"]+)"', PROVISION_HOOK.read_text())
    sdk_path = env.get("CAUSEWAY_SDK_PATH") or (hook_default.group(1) if hook_default else None)
    volumes = [str(v).removesuffix(":ro") for v in localstack.get("volumes") or []]
    for volume in ("./localstack-init:/etc/localstack/init", f"./sdk/src:{sdk_path}"):
        if volume not in volumes:
            found.append(f"localstack: volume {volume} missing (the provisioning hook and the SDK it imports)")
    state = [v.split(":")[0] for v in volumes if v.endswith(":/var/lib/localstack")]
    if len(state) != 1 or state[0] not in (compose.get("volumes") or {}):
        found.append(f"localstack: /var/lib/localstack must be a named volume (or `down -v` leaves one), got {state}")
    ports = [interpolate(p) for p in localstack.get("ports") or []]
    if contract.get("localstack", (None, []))[1] != [4566] or ports != ["127.0.0.1:4566:4566"]:
        found.append(f"localstack: ports {localstack.get('ports')}, contract {contract.get('localstack')}")
    test = " ".join((localstack.get("healthcheck") or {}).get("test") or [])
    if "/_localstack/init/ready" not in test or '"completed": true' not in test:
        found.append("localstack: the healthcheck must wait for the init hooks to complete")

    postgres = services.get("postgres") or {}
    if postgres.get("image") != POSTGRES_IMAGE:
        found.append(f"postgres: image {postgres.get('image')!r}, expected {POSTGRES_IMAGE!r}")
    volumes = [str(v).removesuffix(":ro") for v in postgres.get("volumes") or []]
    if "./postgres-init:/docker-entrypoint-initdb.d" not in volumes:
        found.append("postgres: ./postgres-init is not mounted at /docker-entrypoint-initdb.d")
    data = [v.split(":")[0] for v in volumes if v.endswith(":/var/lib/postgresql/data")]
    if len(data) != 1 or data[0] not in (compose.get("volumes") or {}):
        found.append(f"postgres: data must be in a named volume (kept by `down`, gone with `down -v`), got {data}")
    if postgres.get("ports"):
        found.append("postgres: publishes a host port (5432 is often taken; services use the compose network)")
    test = (postgres.get("healthcheck") or {}).get("test") or []
    if "pg_isready" not in test or "127.0.0.1" not in test:
        found.append("postgres: healthcheck must be pg_isready over TCP (-h 127.0.0.1)")

    jaeger = services.get("jaeger") or {}
    if not JAEGER_IMAGE.match(str(jaeger.get("image"))):
        found.append(f"jaeger: image {jaeger.get('image')!r} is not a pinned Jaeger v2 release")
    published = sorted(int(str(interpolate(p)).rsplit(":", 1)[1]) for p in jaeger.get("ports") or [])
    if published != sorted(contract.get("jaeger", (None, []))[1]):
        found.append(f"jaeger: ports {published}, contract {contract.get('jaeger')}")
    return found
