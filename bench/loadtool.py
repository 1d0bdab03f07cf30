"""wrk (Debian's package): run it and read its report."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

LUA = Path(__file__).parent / "wrk"

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_DURATION = re.compile(r"^\s*([0-9.]+)(us|ms|s|m)\s*$")


def require() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is missing: `apt-get install -y wrk` (make bench installs it when run as root)")
    return found


def _ms(text: str) -> float:
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(report: str) -> dict:
    """Requests/s, latency percentiles (ms) and errors from `wrk --latency` output."""
    result: dict = {"errors": 0, "non_2xx": 0}
    distribution = False
    for line in report.splitlines():
        stripped = line.strip()
        if stripped.startswith("Requests/sec:"):
            result["requests_per_s"] = float(stripped.split()[1])
        elif stripped.startswith("Latency Distribution"):
            distribution = True
        elif distribution and re.match(r"^\d+(\.\d+)?%\s", stripped):
            percent, value = stripped.split()
            result[f"p{percent.rstrip('%').split('.')[0]}"] = _ms(value)
        elif stripped.startswith("Non-2xx or 3xx responses:"):
            result["non_2xx"] = int(stripped.split(":")[1])
        elif stripped.startswith("Socket errors:"):
            result["errors"] = sum(int(n) for n in re.findall(r"\d+", stripped))
        elif re.match(r"^\d+ requests in", stripped):
            result["requests"] = int(stripped.split()[0])
            distribution = False
    if "requests_per_s" not in result:
        raise RuntimeError(f"could not read wrk's report:\n{report}")
    return result


def run(
    url: str,
    *,
    connections: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    script: str | None = None,
    env: dict[str, str] | None = None,
) -> dict:
    command = [require(), "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "10s"]
    for key, value in (headers or {}).items():
        command += ["-H", f"{key}: {value}"]
    if script:
        command += ["-s", str(LUA / script)]
    command.append(url)
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, env={**os.environ, **(env or {})}
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr or completed.stdout}")
    result = parse(completed.stdout)
    result["connections"] = connections
    return result
