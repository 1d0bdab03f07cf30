"""Item 4: what the stack costs: RSS and CPU of LocalStack and every service (psutil)."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field

import psutil


def tree(pid: int) -> list[psutil.Process]:
    """A process and all its descendants (LocalStack may start helpers)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


@dataclass
class Snapshot:
    at: float
    cpu: dict[int, float]  # pid -> user + system seconds
    owner: dict[int, str]
    thread_switches: dict[tuple[int, int], int] = field(default_factory=dict)  # (pid, tid) -> wake-ups


class StackProcesses:
    """The stack's processes by component name (LocalStack, identity, orders, ...)."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots

    def processes(self) -> list[tuple[str, psutil.Process]]:
        return [(name, p) for name, pid in self.roots.items() for p in tree(pid)]

    def rss(self) -> dict[str, int]:
        """Resident set size per component, in bytes."""
        found: dict[str, int] = {}
        for name, process in self.processes():
            with contextlib.suppress(psutil.NoSuchProcess):
                found[name] = found.get(name, 0) + process.memory_info().rss
        return found

    def snapshot(self) -> Snapshot:
        snap = Snapshot(time.monotonic(), {}, {})
        for name, process in self.processes():
            try:
                times = process.cpu_times()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            snap.cpu[process.pid] = times.user + times.system
            snap.owner[process.pid] = name
            for tid, switches in thread_wakeups(process.pid).items():
                snap.thread_switches[(process.pid, tid)] = switches
        return snap


def thread_wakeups(pid: int) -> dict[int, int]:
    """Voluntary context switches of each thread (Linux /proc): how often each one wakes up."""
    found: dict[int, int] = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as status:
                for line in status:
                    if line.startswith("voluntary_ctxt_switches:"):
                        found[int(tid)] = int(line.split()[1])
        except OSError:
            continue
    return found


def usage(before: Snapshot, after: Snapshot) -> dict:
    """CPU as % of one core and wake-ups/s per component over the interval."""
    seconds = after.at - before.at
    by_name: dict[str, dict[str, float]] = {}
    for pid, cpu in after.cpu.items():
        name = after.owner[pid]
        entry = by_name.setdefault(name, {"cpu_pct": 0.0, "wakeups_per_s": 0.0})
        entry["cpu_pct"] += (cpu - before.cpu.get(pid, 0.0)) / seconds * 100
    # Wake-ups of every thread; and the busiest thread other than each process's main thread
    # (uvicorn's loop ticks every 100 ms there): the outbox relay, the queue consumer and the
    # request threads live in the others.
    for (pid, tid), switches in after.thread_switches.items():
        if pid not in after.owner:
            continue
        rate = (switches - before.thread_switches.get((pid, tid), 0)) / seconds
        entry = by_name[after.owner[pid]]
        entry["wakeups_per_s"] += rate
        if pid == tid:
            continue
        entry["busiest_worker_thread_wakeups_per_s"] = max(entry.get("busiest_worker_thread_wakeups_per_s", 0.0), rate)
    total = sum(e["cpu_pct"] for e in by_name.values())
    return {"seconds": seconds, "cpu_pct_of_one_core": total, "by_component": by_name}


@dataclass
class RssSampler:
    """Samples the stack's total RSS every `interval` seconds in the background."""

    processes: StackProcesses
    interval: float = 1.0
    samples: list[int] = field(default_factory=list)
    peak_by_component: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            by_component = self.processes.rss()
            self.samples.append(sum(by_component.values()))
            for name, value in by_component.items():
                self.peak_by_component[name] = max(value, self.peak_by_component.get(name, 0))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
