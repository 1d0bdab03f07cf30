"""Items 2–4 on the whole stack in host mode, as `make dev` runs it, on free ports and a temp folder."""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from bench import footprint, loadtool, stats
from bench.flows import Flows
from causeway import topology as topology_module
from causeway_devstack.processes import ReadyWhen, free_port, open_log
from causeway_devstack.stack import Stack, installed_services

log = logging.getLogger("bench.stack")

HTTP_SERVICE = "billing"
HTTP_PATH = "/wallets/me"
INTROSPECTING_CLIENT = ("orders", "orders-dev-secret")


class BenchStack:
    """One stack (LocalStack + every service) that the bench starts, restarts and stops itself."""

    def __init__(self, workdir: Path, experiments: list[str] | None = None) -> None:
        self.workdir = workdir
        self.experiments = experiments or []
        self.names = installed_services()
        self.ports = {name: free_port() for name in self.names}
        self.localstack_port = free_port()
        self.stack: Stack | None = None

    def _new(self) -> Stack:
        # As `make dev`: CAUSEWAY_ENV=dev (seeded users, dev secrets), default timings; trace export off.
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "", "OTEL_TRACES_EXPORTER": "none"}
        if self.experiments:  # proposed SDK changes, loaded by bench/sitecustomize in each service
            root = Path(__file__).resolve().parents[1]
            env["PYTHONPATH"] = f"{root / 'bench' / 'sitecustomize'}:{root}"
            env["BENCH_EXPERIMENTS"] = ",".join(self.experiments)
        return Stack(
            data_dir=self.workdir, localstack_port=self.localstack_port, ports=self.ports, environment="dev", env=env
        )

    def start(self) -> float:
        """Stack.start, as `causeway-dev up` calls it; seconds until every readiness check passed."""
        self.stack = self._new()
        started = time.monotonic()
        self.stack.start(self.names)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.stack is None:
            return
        stack, self.stack = self.stack, None
        # Services in parallel (each waits for its consumer's long poll), then LocalStack.
        with ThreadPoolExecutor(max_workers=len(stack.services) or 1) as pool:
            list(pool.map(stack.stop_service, list(stack.services)))
        stack.stop()

    def urls(self) -> dict[str, str]:
        return {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}

    def processes(self) -> footprint.StackProcesses:
        assert self.stack is not None
        roots = {"localstack": self.stack.localstack._executor.process.pid}  # noqa: SLF001
        roots.update({name: s.executor.process.pid for name, s in self.stack.services.items()})
        return footprint.StackProcesses(roots)

    def pids(self) -> dict[str, int]:
        return self.processes().roots


# -- item 4: start, idle ---------------------------------------------------------------------


def warm_starts(bench: BenchStack, runs: int, progress) -> dict:
    """A first start (migrations, seeding, LocalStack's caches), then `runs` warm restarts; the stack stays up."""
    first = bench.start()
    progress(f"first start (fresh data folder): {first:.1f} s")
    warm, cpu = [], []
    for i in range(runs):
        bench.stop()
        warm.append(bench.start())
        # CPU seconds every process of the stack spent getting there (imports, migrations, LocalStack's boot).
        snapshot = bench.processes().snapshot()
        cpu.append(sum(snapshot.cpu.values()))
        by_component: dict[str, float] = {}
        for pid, seconds in snapshot.cpu.items():
            by_component[snapshot.owner[pid]] = by_component.get(snapshot.owner[pid], 0.0) + seconds
        progress(f"warm start {i + 1}/{runs}: {warm[-1]:.1f} s, {cpu[-1]:.1f} CPU s")
    return {
        "first_start_s": first,
        "warm_start_s": stats.summary(warm),
        "warm_start_cpu_s": stats.summary(cpu),
        "warm_start_cpu_s_by_component": by_component,  # of the last warm start
    }


def idle(bench: BenchStack, seconds: float, settle: float, progress) -> dict:
    processes = bench.processes()
    progress(f"idle: settling {settle:.0f} s, then measuring {seconds:.0f} s")
    time.sleep(settle)
    rss = []
    localstack_log = bench.stack.localstack.log_file
    offset = localstack_log.stat().st_size
    before = processes.snapshot()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rss.append(sum(processes.rss().values()))
        time.sleep(min(5.0, max(0.0, deadline - time.monotonic())))
    after = processes.snapshot()
    usage = footprint.usage(before, after)
    with localstack_log.open("rb") as f:
        f.seek(offset)
        logged = f.read().decode(errors="replace")
    # LocalStack logs every AWS call: what the idle stack asked of it (long polls, PutEvents, ...).
    requests: dict[str, int] = {}
    for operation in re.findall(r"localstack\.request\.aws\s*:\s*AWS (\S+) =>", logged):
        requests[operation] = requests.get(operation, 0) + 1
    return {
        "usage": usage,
        "rss_bytes": stats.summary(rss),
        "rss_by_component": processes.rss(),
        "aws_requests": requests,
        "consumers": sum(1 for s in topology_module.default().subscribers if s.name in bench.names),
    }


# -- item 2: HTTP and auth -------------------------------------------------------------------


class BenchInstance:
    """One more process of a service, started through bench.serve (auth on or off), messaging off."""

    def __init__(self, bench: BenchStack, name: str, *, auth: bool, principal: dict) -> None:
        assert bench.stack is not None
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        label = "auth" if auth else "noauth"
        env = {
            **bench.stack.service_env(name),
            "PORT": str(self.port),
            "PUBLIC_URL": self.url,
            # Neither variant relays or consumes: the stack's own billing does that.
            "MESSAGING_ENABLED": "false",
            "BENCH_PRINCIPAL": json.dumps(principal),
        }
        root = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = f"{env['PYTHONPATH']}:{root}" if env.get("PYTHONPATH") else root
        command = [sys.executable, "-m", "bench.serve", name] + ([] if auth else ["--no-auth"])
        self.executor = ReadyWhen(
            command, f"{self.url}/readyz", ready=lambda r: r.status_code == 200,
            log=open_log(bench.workdir / "logs" / f"bench-{name}-{label}.log"),
            envvars=env,
            timeout=60, cwd=str(bench.workdir),
        )

    def __enter__(self) -> BenchInstance:
        self.executor.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.executor.stop()

    @property
    def pid(self) -> int:
        return self.executor.process.pid


def http_auth(bench: BenchStack, runs: int, seconds: float, progress) -> dict:
    urls = bench.urls()
    # A fresh customer (registered now, wallet opened by UserRegistered) reads their own wallet.
    flows = Flows(urls)
    try:
        token = flows.register(1, "http")[0].token
    finally:
        flows.close()
    introspection = httpx.post(
        f"{urls['identity']}/oauth/introspect", data={"token": token}, auth=INTROSPECTING_CLIENT
    ).json()
    assert introspection.get("active"), introspection
    headers = {"Authorization": f"Bearer {token}"}
    results: dict = {"endpoint": f"GET {HTTP_PATH} ({HTTP_SERVICE})", "pairs": []}
    with (
        BenchInstance(bench, HTTP_SERVICE, auth=True, principal=introspection) as with_auth,
        BenchInstance(bench, HTTP_SERVICE, auth=False, principal=introspection) as without_auth,
    ):
        variants = {"auth": with_auth, "noauth": without_auth}
        for variant in variants.values():  # warm: introspection cache, connections, first-call costs
            for _ in range(20):
                httpx.get(variant.url + HTTP_PATH, headers=headers).raise_for_status()
        unauthenticated = httpx.get(without_auth.url + HTTP_PATH)
        assert unauthenticated.status_code == 200, "the no-auth variant must not need a token"
        for i in range(runs):
            order = ("auth", "noauth") if i % 2 == 0 else ("noauth", "auth")
            pair: dict = {}
            for mode, connections in (("throughput", 8), ("latency", 1)):
                for name in order:
                    pair[f"{name}_{mode}"] = loadtool.run(
                        variants[name].url + HTTP_PATH, connections=connections, seconds=seconds, headers=headers
                    )
            pair["auth_cost_p50_ms"] = pair["auth_latency"]["p50"] - pair["noauth_latency"]["p50"]
            pair["auth_cost_p99_ms"] = pair["auth_latency"]["p99"] - pair["noauth_latency"]["p99"]
            # Server time per request at saturation (one process, one core): 1/throughput.
            pair["auth_cost_service_ms"] = 1000 / pair["auth_throughput"]["requests_per_s"] - 1000 / pair[
                "noauth_throughput"]["requests_per_s"]
            pair["throughput_ratio"] = stats.ratio(
                pair["auth_throughput"]["requests_per_s"], pair["noauth_throughput"]["requests_per_s"]
            )
            results["pairs"].append(pair)
            progress(
                f"http pair {i + 1}/{runs}: {pair['auth_throughput']['requests_per_s']:.0f} vs "
                f"{pair['noauth_throughput']['requests_per_s']:.0f} req/s, p50 {pair['auth_latency']['p50']:.2f} vs "
                f"{pair['noauth_latency']['p50']:.2f} ms"
            )
    basic = base64.b64encode(":".join(INTROSPECTING_CLIENT).encode()).decode()
    results["introspect"] = []
    for i in range(runs):
        found = loadtool.run(
            f"{urls['identity']}/oauth/introspect", connections=8, seconds=seconds, script="introspect.lua",
            env={"BENCH_TOKEN": token, "BENCH_BASIC": basic},
        )
        results["introspect"].append(found)
        progress(f"introspect run {i + 1}/{runs}: {found['requests_per_s']:.0f} req/s, p50 {found['p50']:.1f} ms")
    return results


# -- item 3: flows ---------------------------------------------------------------------------


def business_flows(bench: BenchStack, runs: int, seconds: float, burst: int, progress, profiler=None) -> dict:
    processes = bench.processes()
    flows = Flows(bench.urls())
    upgrade_rate = 2.0
    # Every upgrade needs a fresh customer, and registering one costs identity an argon2 hash
    # and a verification: 6 s of upgrades per run keep the set-up short.
    upgrades_per_run = int(upgrade_rate * min(seconds, 6))
    results: dict = {"orders_burst": [], "orders_5": [], "orders_10": [], "upgrades_2": []}
    try:
        progress("flows: registering customers, creating the bench product")
        flows.prepare(order_customers=10, upgrade_customers=upgrades_per_run * runs)
        with footprint.RssSampler(processes) as sampler:
            for i in range(runs):
                flows.refresh_tokens()
                for key, run in (
                    ("orders_5", lambda: flows.orders(int(5 * seconds), 5.0)),
                    ("orders_10", lambda: flows.orders(int(10 * seconds), 10.0)),
                    ("orders_burst", lambda: flows.orders(burst, None)),
                    ("upgrades_2", lambda: flows.upgrades(upgrades_per_run, upgrade_rate)),
                ):
                    before = processes.snapshot()
                    result = run()
                    # Who was busy: % of one core per component over the run (POSTs to settled).
                    usage = footprint.usage(before, processes.snapshot())
                    result["cpu_pct_by_component"] = {k: v["cpu_pct"] for k, v in usage["by_component"].items()}
                    result["cpu_pct_total"] = usage["cpu_pct_of_one_core"]
                    results[key].append(result)
                progress(
                    "flows run {}/{}: orders p99 {:.0f} ms at 5/s, {:.0f} ms at 10/s; burst {:.1f} confirmed/s; "
                    "upgrades p99 {:.0f} ms".format(
                        i + 1, runs, results["orders_5"][-1]["latency_ms"]["p99"],
                        results["orders_10"][-1]["latency_ms"]["p99"],
                        results["orders_burst"][-1]["confirmed_per_s"], results["upgrades_2"][-1]["latency_ms"]["p99"],
                    )
                )
        if profiler is not None and profiler.enabled:  # extra runs, not counted: sampling costs CPU
            with profiler.recording("flows-burst", bench.pids()):
                results["profiled_burst"] = flows.orders(burst, None)
            with profiler.recording("flows-rate-10", bench.pids()):
                results["profiled_rate_10"] = flows.orders(int(10 * seconds), 10.0)
        results["rss_under_load_bytes"] = {
            "max": max(sampler.samples), "median": stats.summary(sampler.samples)["median"],
            "peak_by_component": sampler.peak_by_component,
        }
    finally:
        flows.close()
    return results
