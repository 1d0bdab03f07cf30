"""`make bench`: `python -m bench` — the event path against raw boto3, HTTP and auth, the flows, the footprint.

Everything runs on this machine in host mode, on free ports, in a temporary
folder, and is stopped at the end, so it runs beside `make dev` or `make test`.
Prints one table and writes the same figures as JSON under results/.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import experiments, loadtool, report, stackphase
from bench.eventpath import EventPath
from causeway_devstack import paths
from causeway_devstack.localstack import LocalStack
from causeway_devstack.processes import free_port

STARTED = time.monotonic()


def progress(message: str) -> None:
    load = os.getloadavg()[0]
    print(f"[{time.monotonic() - STARTED:6.1f}s load {load:4.1f}] {message}", file=sys.stderr, flush=True)


def wait_for_quiet(threshold: float, limit: float) -> None:
    deadline = time.monotonic() + limit
    while os.getloadavg()[0] >= threshold and time.monotonic() < deadline:
        progress(f"waiting for the 1-minute load average to fall below {threshold} ...")
        time.sleep(60)


def event_phase(workdir: Path, args, profiler) -> dict:
    root = workdir / "events"
    localstack = LocalStack(port=free_port(), root=root / "localstack", log_file=root / "localstack.log")
    progress("event path: starting a bare LocalStack (provisioned, no service running)")
    localstack.start()
    path = EventPath(localstack.url, root, args.experiments, localstack._executor.process.pid)  # noqa: SLF001
    results: dict = {"saturation": [], "rate_20": [], "rate_50": []}
    try:
        path.start()
        progress("event path: warm-up pair")
        path.pair(0, 50, None)
        for i in range(args.runs):
            results["saturation"].append(path.pair(i, args.events, None))
            results["rate_20"].append(path.pair(i, int(20 * args.rate_seconds), 20.0))
            results["rate_50"].append(path.pair(i, int(50 * args.rate_seconds * 0.6), 50.0))
            s, r20 = results["saturation"][-1], results["rate_20"][-1]
            progress(
                f"event path run {i + 1}/{args.runs}: saturation raw {s['raw']['events_per_s']:.0f} / sdk "
                f"{s['sdk']['events_per_s']:.0f} events/s; 20/s p99 raw {r20['raw']['latency_ms']['p99']:.0f} / sdk "
                f"{r20['sdk']['latency_ms']['p99']:.0f} ms"
            )
        if profiler.enabled:  # extra runs, not counted: sampling costs CPU
            pids = {**path.pids(), "localstack": localstack._executor.process.pid}  # noqa: SLF001
            with profiler.recording("event-saturation", pids):
                results["profiled_saturation"] = path.pair(0, args.events, None)
            with profiler.recording("event-rate-50", pids):
                results["profiled_rate_50"] = path.pair(0, int(50 * args.rate_seconds * 0.6), 50.0)
    finally:
        path.stop()
        localstack.stop()
    return results


def stack_phase(workdir: Path, args, profiler) -> dict:
    bench = stackphase.BenchStack(workdir / "stack", args.experiments)
    results: dict = {}
    try:
        progress("stack: starting LocalStack and every service")
        results["start"] = stackphase.warm_starts(bench, args.runs, progress)
        results["idle"] = stackphase.idle(bench, args.idle_seconds, settle=5, progress=progress)
        results["http"] = stackphase.http_auth(bench, args.runs, args.wrk_seconds, progress)
        results["flows"] = stackphase.business_flows(
            bench, args.runs, args.flow_seconds, args.orders_burst, progress,
            profiler=profiler,
        )
    finally:
        progress("stack: stopping")
        bench.stop()
    return results


class Profiler:
    """With --profile: py-spy records the given processes during extra runs (not counted in the figures)."""

    def __init__(self, enabled: bool, out: Path) -> None:
        self.enabled = enabled
        self.out = out

    def recording(self, section: str, pids: dict[str, int]):
        from contextlib import contextmanager

        @contextmanager
        def recording():
            import subprocess

            spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            self.out.mkdir(parents=True, exist_ok=True)
            running = []
            for name, pid in pids.items():
                target = self.out / f"{section}-{name}.txt"
                running.append(subprocess.Popen(
                    [spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "200", "--output", str(target),
                     "--nonblocking", "--threads"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                ))
            try:
                yield
            finally:
                for process in running:
                    process.send_signal(2)  # SIGINT: py-spy writes its output and exits
                for process in running:
                    try:
                        process.wait(30)
                    except subprocess.TimeoutExpired:
                        process.kill()

        progress(f"profiling {section}: py-spy on {', '.join(pids)} → {self.out}")
        return recording()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions of every measurement (median, min, max)")
    parser.add_argument("--events", type=int, default=500, help="events per saturation run")
    parser.add_argument("--rate-seconds", type=float, default=8, help="length of a fixed-rate event run")
    parser.add_argument("--idle-seconds", type=float, default=60, help="idle window for the stack's CPU")
    parser.add_argument("--wrk-seconds", type=float, default=4, help="length of one wrk run")
    parser.add_argument("--flow-seconds", type=float, default=8, help="length of one fixed-rate flow run")
    parser.add_argument("--orders-burst", type=int, default=80, help="orders per saturation run")
    parser.add_argument("--only", choices=["events", "stack"], help="run one phase only")
    parser.add_argument("--quick", action="store_true", help="one short run of everything (development)")
    parser.add_argument("--profile", action="store_true", help="record py-spy profiles into results/profiles")
    parser.add_argument("--quiet-load", type=float, default=0, help="first wait (≤ 20 min) for load average below this")
    parser.add_argument(
        "--experiment", dest="experiments", type=experiments.parse, default=[],
        help=f"proposed SDK changes to measure, comma-separated: {', '.join(experiments.KNOWN)}",
    )
    parser.add_argument("--out", type=Path, default=None, help="results folder (default: <repo>/results)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, databases)")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.events, args.rate_seconds, args.idle_seconds = 1, 300, 5, 15
        args.wrk_seconds, args.flow_seconds, args.orders_burst = 2, 5, 40
    logging.basicConfig(level=logging.WARNING)
    loadtool.require()
    out = args.out or paths.repo_root() / "results"
    out.mkdir(parents=True, exist_ok=True)
    if args.quiet_load:
        wait_for_quiet(args.quiet_load, 20 * 60)
    measuring = time.monotonic()
    stamp = datetime.now(UTC)
    workdir = Path(tempfile.mkdtemp(prefix="causeway-bench-"))
    profiler = Profiler(args.profile, out / "profiles")
    results: dict = {
        "when": stamp.isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_before": os.getloadavg(),
        },
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        # Service settings given through the environment reach every service the bench starts.
        "environment": {
            k: v for k, v in os.environ.items() if k.startswith(("CONSUMER_", "RELAY_", "AUTH_", "OTEL_"))
        },
    }
    progress(f"work folder {workdir}")
    try:
        if args.only in (None, "events"):
            results["events"] = event_phase(workdir, args, profiler)
            results["machine"]["load_after_events"] = os.getloadavg()
        if args.only in (None, "stack"):
            results["stack"] = stack_phase(workdir, args, profiler)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    results["machine"]["load_after"] = os.getloadavg()
    results["duration_s"] = time.monotonic() - measuring  # without the wait for a quiet machine
    summary = report.summarise(results)
    results["summary"] = summary
    table = report.table(results, summary)
    print(table)
    name = f"bench-{stamp.strftime('%Y%m%dT%H%M%SZ')}" + ("-" + "-".join(args.experiments) if args.experiments else "")
    (out / f"{name}.json").write_text(json.dumps(_clean(results), indent=2, default=_json_default, allow_nan=False))
    (out / f"{name}.txt").write_text(table + "\n")
    if not args.experiments:  # latest.* are the SDK as it is
        shutil.copyfile(out / f"{name}.json", out / "latest.json")
        shutil.copyfile(out / f"{name}.txt", out / "latest.txt")
    print(f"\nwritten: {out / (name + '.json')}" + ("" if args.experiments else " (and latest.json, latest.txt)"))
    return 0


def _clean(value):
    """NaN (a figure that could not be measured) is null in JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _json_default(value):
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"not JSON: {value!r}")


if __name__ == "__main__":
    sys.exit(main())
