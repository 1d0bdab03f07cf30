"""Where the project's folders are, found from the working directory."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    start = Path(os.environ.get("CAUSEWAY_ROOT", Path.cwd())).resolve()
    for folder in (start, *start.parents):
        if (folder / "localstack-init").is_dir() and (folder / "sdk").is_dir():
            return folder
    raise RuntimeError(f"not inside the Causeway repository: {start}")


def localstack_python() -> Path:
    """LocalStack's own pinned environment (see tools/localstack)."""
    configured = os.environ.get("CAUSEWAY_LOCALSTACK_PYTHON")
    return Path(configured) if configured else repo_root() / ".venv-localstack" / "bin" / "python"


def sdk_source() -> Path:
    return repo_root() / "sdk" / "src"
