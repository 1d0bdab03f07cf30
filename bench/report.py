"""The figures: medians with min and max over runs, pairwise ratios, targets, and the printed table."""

from __future__ import annotations

import math

from bench.stats import summary

MB = 1024 * 1024
# Idle, a service's worker threads wake when the relay checks its outbox (every
# RELAY_IDLE_SECONDS) and when a long poll returns (every CONSUMER_WAIT_SECONDS):
# well under once a second. A loop polling a database wakes tens to thousands of times.
TIGHT_LOOP_WAKEUPS_PER_S = 5.0


def _get(d: dict, dotted: str):
    for key in dotted.split("."):
        d = d[key]
    return d


def over(runs: list[dict], dotted: str) -> dict:
    return summary(_get(r, dotted) for r in runs)


def summarise(results: dict) -> dict:
    s: dict = {}
    events = results.get("events")
    if events:
        s["events"] = {}
        for section in ("saturation", "rate_20", "rate_50"):
            runs = events[section]
            entry = {"throughput_ratio": over(runs, "throughput_ratio")}
            for path in ("raw", "sdk"):
                entry[path] = {"events_per_s": over(runs, f"{path}.events_per_s")}
                for q in ("p50", "p95", "p99"):
                    entry[path][q] = over(runs, f"{path}.latency_ms.{q}")
            for q in ("p50", "p95", "p99"):
                entry[f"{q}_ratio"] = over(runs, f"{q}_ratio")
            entry["p99_delta_ms"] = over(runs, "p99_delta_ms")
            entry["p50_delta_ms"] = over(runs, "p50_delta_ms")
            if "cpu_pct" in runs[0]["raw"]:
                entry["cpu"] = {
                    path: {
                        name: summary(r[path]["cpu_pct"].get(name, 0.0) for r in runs)["median"]
                        for name in runs[0][path]["cpu_pct"]
                    }
                    for path in ("raw", "sdk")
                }
            entry["lost"] = sum(r[p]["events"] - r[p]["received"] for r in runs for p in ("raw", "sdk"))
            s["events"][section] = entry
    stack = results.get("stack")
    if stack:
        http = stack["http"]
        pairs = http["pairs"]
        s["http"] = {
            "endpoint": http["endpoint"],
            **{
                f"{v}_{k}": over(pairs, f"{v}_{mode}.{field}")
                for v in ("auth", "noauth")
                for k, mode, field in (
                    ("rps", "throughput", "requests_per_s"),
                    ("p50", "latency", "p50"),
                    ("p99", "latency", "p99"),
                    ("p50_loaded", "throughput", "p50"),
                    ("p99_loaded", "throughput", "p99"),
                )
            },
            "auth_cost_p50_ms": over(pairs, "auth_cost_p50_ms"),
            "auth_cost_p99_ms": over(pairs, "auth_cost_p99_ms"),
            "auth_cost_service_ms": over(pairs, "auth_cost_service_ms"),
            "throughput_ratio": over(pairs, "throughput_ratio"),
            "introspect_rps": over(http["introspect"], "requests_per_s"),
            "introspect_p50": over(http["introspect"], "p50"),
            "introspect_p99": over(http["introspect"], "p99"),
            "errors": sum(
                r["non_2xx"] + r["errors"]
                for p in pairs for r in p.values() if isinstance(r, dict)
            ) + sum(r["non_2xx"] + r["errors"] for r in http["introspect"]),
        }
        flows = stack["flows"]
        s["flows"] = {
            "orders_burst_per_s": over(flows["orders_burst"], "confirmed_per_s"),
            "orders_burst_p50": over(flows["orders_burst"], "latency_ms.p50"),
            "orders_burst_p99": over(flows["orders_burst"], "latency_ms.p99"),
            "not_confirmed": sum(
                r["orders"] - r["confirmed"] for k in ("orders_burst", "orders_5", "orders_10") for r in flows[k]
            ),
            "upgrades_not_completed": sum(r["upgrades"] - r["completed"] for r in flows["upgrades_2"]),
        }
        bursts = flows["orders_burst"]
        if bursts and "cpu_pct_by_component" in bursts[0]:
            s["flows"]["orders_burst_cpu"] = {
                name: summary(r["cpu_pct_by_component"].get(name, 0.0) for r in bursts)["median"]
                for name in bursts[0]["cpu_pct_by_component"]
            }
            s["flows"]["orders_burst_cpu_total"] = summary(r["cpu_pct_total"] for r in bursts)["median"]
        for key in ("orders_5", "orders_10", "upgrades_2"):
            for q in ("p50", "p99"):
                s["flows"][f"{key}_{q}"] = over(flows[key], f"latency_ms.{q}")
            s["flows"][f"{key}_post_p50"] = over(flows[key], "post_ms.p50")
        idle = stack["idle"]["usage"]
        services = {k: v for k, v in idle["by_component"].items() if k != "localstack"}
        s["footprint"] = {
            "first_start_s": stack["start"]["first_start_s"],
            "warm_start_s": stack["start"]["warm_start_s"],
            "idle_cpu_pct": idle["cpu_pct_of_one_core"],
            "idle_seconds": idle["seconds"],
            "idle_cpu_by_component": {k: v["cpu_pct"] for k, v in idle["by_component"].items()},
            "idle_max_service_wakeups_per_s": max((v["wakeups_per_s"] for v in services.values()), default=0),
            "idle_max_worker_thread_wakeups_per_s": max(
                (v.get("busiest_worker_thread_wakeups_per_s", 0.0) for v in services.values()), default=0
            ),
            "idle_aws_requests": stack["idle"]["aws_requests"],
            "idle_receive_per_consumer_per_min": stack["idle"]["aws_requests"].get("sqs.ReceiveMessage", 0)
            / max(1, stack["idle"]["consumers"]) / (idle["seconds"] / 60),
            "warm_start_cpu_s": stack["start"]["warm_start_cpu_s"],
            "idle_rss_mb": stack["idle"]["rss_bytes"]["median"] / MB,
            "load_rss_mb_max": flows["rss_under_load_bytes"]["max"] / MB,
            "load_rss_mb_median": flows["rss_under_load_bytes"]["median"] / MB,
            "load_rss_mb_by_component": {
                k: v / MB for k, v in flows["rss_under_load_bytes"]["peak_by_component"].items()
            },
        }
    s["targets"] = targets(s)
    return s


def _target(name: str, value: float, goal: str, ok: bool, detail: str) -> dict:
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    return {"target": name, "value": value, "goal": goal, "pass": (not missing) and ok, "detail": detail}


def targets(s: dict) -> list[dict]:
    found = []
    if "events" in s:
        ratio = s["events"]["saturation"]["throughput_ratio"]["median"]
        found.append(_target(
            "event path throughput ≥ 0.9 × raw", ratio, "≥ 0.90", ratio >= 0.9,
            f"SDK/raw events/s at saturation, pairwise: {ratio:.2f}",
        ))
        delta = s["events"]["rate_20"]["p99_delta_ms"]["median"]
        found.append(_target(
            "p99 at 20 events/s ≤ raw p99 + 25 ms", delta, "≤ +25 ms", delta <= 25,
            f"SDK p99 − raw p99, pairwise: {delta:+.1f} ms",
        ))
    if "http" in s:
        cost = s["http"]["auth_cost_p50_ms"]["median"]
        found.append(_target(
            "auth with a warm cache adds ≤ 1 ms at p50", cost, "≤ 1.0 ms", cost <= 1.0,
            f"p50 with auth − p50 without, pairwise: {cost:+.2f} ms",
        ))
    if "flows" in s:
        p99 = s["flows"]["orders_5_p99"]["median"]
        found.append(_target(
            "POST /orders → CONFIRMED p99 ≤ 1 s at 5 orders/s", p99, "≤ 1000 ms", p99 <= 1000, f"p99 {p99:.0f} ms"
        ))
    if "footprint" in s:
        f = s["footprint"]
        wakeups = f["idle_max_worker_thread_wakeups_per_s"]
        cpu = f["idle_cpu_pct"]
        found.append(_target(
            "idle stack ≤ 3 % of one core, no tight polling", cpu, "≤ 3 %",
            cpu <= 3.0 and wakeups < TIGHT_LOOP_WAKEUPS_PER_S,
            f"{cpu:.2f} % over {f['idle_seconds']:.0f} s; busiest relay/consumer/worker thread wakes "
            f"{wakeups:.2f}/s (tight loop ≥ {TIGHT_LOOP_WAKEUPS_PER_S:.0f}/s); "
            f"{f['idle_receive_per_consumer_per_min']:.1f} long polls per consumer per minute",
        ))
        warm = f["warm_start_s"]["median"]
        found.append(_target("warm start ≤ 20 s", warm, "≤ 20 s", warm <= 20, f"{warm:.1f} s"))
        rss = f["load_rss_mb_max"]
        found.append(_target("stack RSS under load ≤ 1.5 GB", rss, "≤ 1536 MB", rss <= 1536, f"{rss:.0f} MB (peak)"))
    return found


# -- printing --------------------------------------------------------------------------------


def fmt(entry: dict | float | None, digits: int = 1, unit: str = "") -> str:
    if entry is None:
        return "-"
    if isinstance(entry, dict):
        median, low, high = entry["median"], entry["min"], entry["max"]
        if median is None or (isinstance(median, float) and math.isnan(median)):
            return "-"
        if len(entry.get("runs", [])) <= 1:
            return f"{median:.{digits}f}{unit}"
        return f"{median:.{digits}f}{unit} [{low:.{digits}f}–{high:.{digits}f}]"
    if isinstance(entry, float) and math.isnan(entry):
        return "-"
    return f"{entry:.{digits}f}{unit}"


def _rows(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip() for r in rows]


def table(results: dict, s: dict) -> str:
    m = results["machine"]
    lines = [
        f"Causeway bench — {results['when']} — {m['cpus']} CPUs, Python {m['python']}, "
        f"load average {m['load_before'][0]:.1f} before / {m['load_after'][0]:.1f} after, "
        f"{results['settings']['runs']} run(s), {results['duration_s'] / 60:.1f} min",
        "every figure: median [min–max] over runs; every ratio: per pair within a run, then the median",
    ]
    if results.get("environment"):
        lines.append("environment: " + ", ".join(f"{k}={v}" for k, v in sorted(results["environment"].items())))
    if results["settings"].get("experiments"):
        lines.append(
            "EXPERIMENT: the SDK ran with proposed changes applied in memory: "
            + ", ".join(results["settings"]["experiments"]) + " (bench/experiments.py)"
        )
    if "events" in s:
        e = s["events"]
        lines += ["", "1. Event path: StockReserved, inventory → causeway-bus → causeway-billing → billing-events"]
        rows = [("", "raw boto3", "SDK outbox/relay/inbox", "SDK/raw")]
        rows.append((
            f"events/s at saturation ({results['settings']['events']} events)",
            fmt(e["saturation"]["raw"]["events_per_s"]), fmt(e["saturation"]["sdk"]["events_per_s"]),
            fmt(e["saturation"]["throughput_ratio"], 2),
        ))
        for section, label in (("rate_20", "20 events/s"), ("rate_50", "50 events/s")):
            for q in ("p50", "p95", "p99"):
                rows.append((
                    f"{label} {q} latency, ms", fmt(e[section]["raw"][q]), fmt(e[section]["sdk"][q]),
                    fmt(e[section][f"{q}_ratio"], 2),
                ))
        lines += _rows(rows)
        cpu = e["saturation"].get("cpu")
        if cpu:
            pct = {n: "/".join(f"{cpu[p].get(n, math.nan):.0f}" for p in ("raw", "sdk"))
                   for n in ("localstack", "producer", "consumer")}
            lines.append(
                f"  CPU at saturation, % of one core, raw/SDK: LocalStack {pct['localstack']}, "
                f"producer {pct['producer']}, consumer {pct['consumer']}"
            )
        lost = sum(e[k]["lost"] for k in e)
        if lost:
            lines.append(f"  ! {lost} events not received within the timeout")
    if "http" in s:
        h = s["http"]
        lines += ["", f"2. HTTP and auth: {h['endpoint']}, wrk (8 connections for req/s, 1 for latency)"]
        rows = [("", "auth, warm cache", "auth replaced", "difference")]
        rows.append(("requests/s (8 conns)", fmt(h["auth_rps"], 0), fmt(h["noauth_rps"], 0),
                     f"ratio {fmt(h['throughput_ratio'], 2)}"))
        for q in ("p50", "p99"):
            rows.append((f"{q} ms (1 conn)", fmt(h[f"auth_{q}"], 2), fmt(h[f"noauth_{q}"], 2),
                         fmt(h[f"auth_cost_{q}_ms"], 2, " ms")))
        rows.append(("p50 / p99 ms (8 conns)", f"{fmt(h['auth_p50_loaded'])} / {fmt(h['auth_p99_loaded'])}",
                     f"{fmt(h['noauth_p50_loaded'])} / {fmt(h['noauth_p99_loaded'])}", ""))
        rows.append(("auth cost, server ms/request (1/req/s)", "", "", fmt(h["auth_cost_service_ms"], 2, " ms")))
        rows.append(("identity POST /oauth/introspect (8 conns)", f"{fmt(h['introspect_rps'], 0)} req/s",
                     f"p50 {fmt(h['introspect_p50'])} ms", f"p99 {fmt(h['introspect_p99'])} ms"))
        lines += _rows(rows)
        if h["errors"]:
            lines.append(f"  ! {h['errors']} non-2xx responses or socket errors")
    if "flows" in s:
        f = s["flows"]
        burst = results["settings"]["orders_burst"]
        lines += ["", "3. Business flows (fresh customers; latency = POST → CONFIRMED / COMPLETED, ms)"]
        rows = [("", "p50", "p99", "POST p50")]
        rows.append((f"orders, burst of {burst}: {fmt(f['orders_burst_per_s'])} confirmed/s",
                     fmt(f["orders_burst_p50"], 0), fmt(f["orders_burst_p99"], 0), ""))
        for key, label in (("orders_5", "orders at 5/s"), ("orders_10", "orders at 10/s"),
                           ("upgrades_2", "upgrades at 2/s")):
            rows.append((label, fmt(f[f"{key}_p50"], 0), fmt(f[f"{key}_p99"], 0), fmt(f[f"{key}_post_p50"], 0)))
        lines += _rows(rows)
        busy = f.get("orders_burst_cpu")
        if busy:
            top = sorted(busy.items(), key=lambda kv: -kv[1])[:4]
            lines.append(
                "  CPU during the order bursts, % of one core: " + ", ".join(f"{k} {v:.0f}" for k, v in top)
                + f" (stack total {f['orders_burst_cpu_total']:.0f} of 200)"
            )
        if f["not_confirmed"] or f["upgrades_not_completed"]:
            lines.append(
                f"  ! {f['not_confirmed']} orders not CONFIRMED, {f['upgrades_not_completed']} upgrades not COMPLETED"
            )
    if "footprint" in s:
        fp = s["footprint"]
        lines += ["", "4. Footprint (LocalStack + every service)"]
        busiest = sorted(fp["idle_cpu_by_component"].items(), key=lambda kv: -kv[1])[:3]
        rows = [
            ("start to all ready, warm", fmt(fp["warm_start_s"], 1, " s"),
             f"{fmt(fp['warm_start_cpu_s'], 0, ' CPU s')}; first start {fp['first_start_s']:.1f} s"),
            (f"CPU idle ({fp['idle_seconds']:.0f} s), % of one core", f"{fp['idle_cpu_pct']:.2f} %",
             ", ".join(f"{k} {v:.2f}" for k, v in busiest)),
            ("idle wake-ups/s: busiest worker thread / service", f"{fp['idle_max_worker_thread_wakeups_per_s']:.2f}",
             f"{fp['idle_max_service_wakeups_per_s']:.1f} (uvicorn's 100 ms loop tick included)"),
            ("idle AWS calls to LocalStack", ", ".join(f"{k} {v}" for k, v in sorted(fp["idle_aws_requests"].items()))
             or "none", f"{fp['idle_receive_per_consumer_per_min']:.1f} long polls/consumer/min"),
            ("RSS idle", f"{fp['idle_rss_mb']:.0f} MB", ""),
            ("RSS under order load", f"{fp['load_rss_mb_max']:.0f} MB peak",
             f"localstack {fp['load_rss_mb_by_component'].get('localstack', 0):.0f} MB"),
        ]
        lines += _rows(rows)
    if s["targets"]:
        lines += ["", "Targets (goals, not tests)"]
        for t in s["targets"]:
            lines.append(f"  [{'PASS' if t['pass'] else 'FAIL'}] {t['target']}: {t['detail']}")
    return "\n".join(lines)


# -- the README's summary ----------------------------------------------------------------------


def markdown(results: dict, s: dict) -> str:
    """The summary table the README's Performance section shows (`python -m bench.report results/latest.json`)."""

    def m(entry, digits=1):
        return fmt(entry, digits).split(" [")[0]

    def mark(name: str) -> str:
        found = [t for t in s["targets"] if t["target"].startswith(name)]
        return ("✔" if found[0]["pass"] else "✘") if found else ""

    e, h, f, fp = s.get("events"), s.get("http"), s.get("flows"), s.get("footprint")
    rows = ["| measure | raw | platform | ratio / result | target |", "|---|---|---|---|---|"]
    if e:
        sat, r20, r50 = e["saturation"], e["rate_20"], e["rate_50"]
        rows += [
            f"| events/s at saturation | {m(sat['raw']['events_per_s'])} | {m(sat['sdk']['events_per_s'])} "
            f"| {m(sat['throughput_ratio'], 2)} (pairs {sat['throughput_ratio']['min']:.2f}–"
            f"{sat['throughput_ratio']['max']:.2f}) | ≥ 0.9 {mark('event path throughput')} |",
            f"| p99 at 20 events/s (ms) | {m(r20['raw']['p99'])} | {m(r20['sdk']['p99'])} "
            f"| {r20['p99_delta_ms']['median']:+.1f} ms pairwise | ≤ raw + 25 ms {mark('p99 at 20')} |",
            f"| p50 / p95 at 20 events/s (ms) | {m(r20['raw']['p50'])} / {m(r20['raw']['p95'])} "
            f"| {m(r20['sdk']['p50'])} / {m(r20['sdk']['p95'])} "
            f"| {m(r20['p50_ratio'], 2)} / {m(r20['p95_ratio'], 2)} | |",
            f"| p50 / p95 / p99 at 50 events/s (ms) | {m(r50['raw']['p50'])} / {m(r50['raw']['p95'])} / "
            f"{m(r50['raw']['p99'])} | {m(r50['sdk']['p50'])} / {m(r50['sdk']['p95'])} / "
            f"{m(r50['sdk']['p99'])} "
            f"| {m(r50['p50_ratio'], 2)} / {m(r50['p95_ratio'], 2)} / {m(r50['p99_ratio'], 2)} | |",
        ]
    if h:
        rows += [
            f"| auth cost at p50, warm cache (1 connection) | p50 {m(h['noauth_p50'], 2)} ms without | "
            f"{m(h['auth_p50'], 2)} ms | {h['auth_cost_p50_ms']['median']:+.2f} ms (server time "
            f"{m(h['auth_cost_service_ms'], 2)} ms/request) | ≤ 1 ms {mark('auth')} |",
            f"| authenticated reads, 8 connections (req/s; p50 / p99 ms) | {m(h['noauth_rps'], 0)} without auth; "
            f"{m(h['noauth_p50_loaded'])} / {m(h['noauth_p99_loaded'], 0)} | {m(h['auth_rps'], 0)}; "
            f"{m(h['auth_p50_loaded'])} / {m(h['auth_p99_loaded'], 0)} | {m(h['throughput_ratio'], 2)} | |",
            f"| identity `POST /oauth/introspect`, 8 connections | | {m(h['introspect_rps'], 0)} req/s, "
            f"p50 {m(h['introspect_p50'])} / p99 {m(h['introspect_p99'], 0)} ms | | |",
        ]
    if f:
        burst = results["settings"]["orders_burst"]
        rows += [
            f"| orders sustained (burst of {burst}) | | {m(f['orders_burst_per_s'])} confirmed/s | | |",
            f"| POST /orders → CONFIRMED at 5/s (p50 / p99 ms) | | {m(f['orders_5_p50'], 0)} / "
            f"{m(f['orders_5_p99'], 0)} | | p99 ≤ 1 s {mark('POST /orders')} |",
            f"| … at 10/s (p50 / p99 ms) | | {m(f['orders_10_p50'], 0)} / {m(f['orders_10_p99'], 0)} | | |",
            f"| upgrade → COMPLETED at 2/s (p50 / p99 ms) | | {m(f['upgrades_2_p50'], 0)} / "
            f"{m(f['upgrades_2_p99'], 0)} | | |",
        ]
    if fp:
        rows += [
            f"| idle CPU, whole stack, {fp['idle_seconds']:.0f} s | | {fp['idle_cpu_pct']:.2f} % of one core "
            f"| busiest relay/consumer thread wakes {fp['idle_max_worker_thread_wakeups_per_s']:.1f}/s "
            f"| ≤ 3 % {mark('idle')} |",
            f"| warm start to all ready | | {m(fp['warm_start_s'])} s ({m(fp['warm_start_cpu_s'], 0)} CPU-s) | "
            f"| ≤ 20 s {mark('warm start')} |",
            f"| RSS idle / under order load | | {fp['idle_rss_mb']:.0f} / {fp['load_rss_mb_max']:.0f} MB | "
            f"| ≤ 1.5 GB {mark('stack RSS')} |",
        ]
    return "\n".join(rows)


if __name__ == "__main__":
    import json
    import sys

    loaded = json.loads(open(sys.argv[1]).read())  # noqa: SIM115
    print(markdown(loaded, loaded["summary"]))
