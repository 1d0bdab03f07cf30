"""`make dev`'s command: everything ready, one table of URLs, Ctrl-C leaves nothing behind."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from causeway_devstack.processes import free_port, port_is_free
from causeway_devstack.stack import default_ports, installed_services

# A deadline so a broken start fails instead of hanging, not a speed claim:
# how fast `make dev` gets ready is measured by `make bench` (warm start).
READY_DEADLINE_SECONDS = 180


def _free_offset() -> int:
    ports = default_ports()
    for _ in range(50):
        offset = random.randrange(20_000, 40_000)
        if all(port_is_free(p + offset) for p in ports.values()):
            return offset
    raise RuntimeError("no free block of ports")


def test_dev_starts_everything_ready_and_ctrl_c_stops_all(tmp_path: Path):
    offset, localstack_port = _free_offset(), free_port()
    command = [sys.executable, "-m", "causeway_devstack.cli", "up", "--data-dir", str(tmp_path),
               "--localstack-port", str(localstack_port), "--port-offset", str(offset)]
    env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": ""}
    started = time.monotonic()
    dev = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    output: list[str] = []
    try:
        for line in dev.stdout:  # the table is printed once everything is ready
            output.append(line)
            if "Ctrl-C stops everything" in line or time.monotonic() - started > READY_DEADLINE_SECONDS:
                break
        text = "".join(output)
        assert "Ctrl-C stops everything" in text, text
        descendants = psutil.Process(dev.pid).children(recursive=True)
        urls = re.findall(r"^(\w+)\s+(http://localhost:\d+)\s", text, re.M)
        assert {name for name, _ in urls} == {"localstack", *installed_services()}
        for name, url in urls:
            if name != "localstack":
                assert httpx.get(f"{url}/readyz", timeout=5).status_code == 200, name
    finally:
        dev.send_signal(signal.SIGINT)
        dev.wait(timeout=60)
    assert "stopped." in dev.stdout.read()
    assert all(not p.is_running() or p.status() == psutil.STATUS_ZOMBIE for p in descendants)
    used = [localstack_port, *(p + offset for p in default_ports().values())]
    assert all(port_is_free(p) for p in used)
