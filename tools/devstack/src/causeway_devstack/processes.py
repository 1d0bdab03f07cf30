"""Starting and stopping the stack's processes with readiness checks (mirakuru)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import IO

import httpx
from mirakuru import HTTPExecutor


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        # As servers do: connections of a process that just stopped (TIME_WAIT) do not count.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class ReadyWhen(HTTPExecutor):
    """An HTTP executor that is started only when `ready(response)` holds."""

    def __init__(self, command: list[str], url: str, *, ready, log: IO[bytes], **kwargs) -> None:
        super().__init__(command, url, method="GET", stdout=log, stderr=log, stdin=None, **kwargs)
        self._url_text = url
        self._ready = ready

    def after_start_check(self) -> bool:
        try:
            response = httpx.get(self._url_text, timeout=2.0)
        except httpx.HTTPError:
            return False
        return self._ready(response)


def open_log(path: Path) -> IO[bytes]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("ab")
