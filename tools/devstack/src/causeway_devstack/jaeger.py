"""A local Jaeger (v2 all-in-one binary) for `make dev`, when one is on PATH.

Jaeger ships no PyPI or Debian package, so host mode only uses a `jaeger`
binary the developer installed; compose runs the official image instead.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from causeway_devstack.processes import ReadyWhen, open_log

UI_PORT = 16686
OTLP_HTTP_PORT = 4318


class Jaeger:
    def __init__(self, binary: str, log_file: Path) -> None:
        self.binary = binary
        self.log_file = log_file
        self.ui_url = f"http://localhost:{UI_PORT}"
        self.otlp_endpoint = f"http://localhost:{OTLP_HTTP_PORT}"
        self._executor: ReadyWhen | None = None

    @classmethod
    def on_path(cls, log_file: Path) -> Jaeger | None:
        binary = shutil.which("jaeger")
        return cls(binary, log_file) if binary else None

    def start(self, timeout: float = 30) -> None:
        # With no --config, Jaeger v2 runs all-in-one: in-memory storage, UI and OTLP receivers.
        self._executor = ReadyWhen(
            [self.binary],
            self.ui_url,
            ready=lambda r: r.status_code == 200,
            log=open_log(self.log_file),
            timeout=timeout,
        )
        self._executor.start()

    def stop(self) -> None:
        if self._executor is not None:
            self._executor.stop()
            self._executor = None
