"""LocalStack 4.12 from PyPI as a host process, provisioned by the same init hooks as compose."""

from __future__ import annotations

from pathlib import Path

from causeway_devstack import paths
from causeway_devstack.processes import ReadyWhen, open_log

SERVICES = "events,sqs,sts,iam,logs,cloudwatch"


def _provisioned(response) -> bool:
    return response.status_code == 200 and response.json().get("completed") is True


class LocalStack:
    def __init__(self, *, port: int, root: Path, log_file: Path) -> None:
        self.port = port
        self.root = root
        self.log_file = log_file
        self.url = f"http://localhost:{port}"
        self._executor: ReadyWhen | None = None

    def _filesystem_root(self) -> Path:
        # LocalStack looks for init hooks under FILESYSTEM_ROOT/etc/localstack/init;
        # point that at the repository's localstack-init, the folder compose mounts.
        init = self.root / "etc" / "localstack" / "init"
        init.parent.mkdir(parents=True, exist_ok=True)
        if init.is_symlink() or init.exists():
            init.unlink()
        init.symlink_to(paths.repo_root() / "localstack-init", target_is_directory=True)
        return self.root

    def start(self, timeout: float = 90) -> None:
        python = paths.localstack_python()
        if not python.exists():
            raise RuntimeError(f"LocalStack's environment is missing ({python}); run `make localstack-env`")
        env = {
            "GATEWAY_LISTEN": f"127.0.0.1:{self.port}",
            "LOCALSTACK_HOST": f"localhost:{self.port}",
            "SERVICES": SERVICES,
            "DISABLE_EVENTS": "1",  # no telemetry; without it shutdown hangs on a closed network
            "DNS_ADDRESS": "0",
            "SQS_DISABLE_CLOUDWATCH_METRICS": "1",
            "OVERRIDE_IN_DOCKER": "0",
            "FILESYSTEM_ROOT": str(self._filesystem_root()),
            "CAUSEWAY_SDK_PATH": str(paths.sdk_source()),
            "TMPDIR": str(self.root / "tmp"),
            # LocalStack runs on its own pinned environment, not the services' one.
            "VIRTUAL_ENV": "",
            "PYTHONPATH": "",
        }
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        self._executor = ReadyWhen(
            [str(python), "-m", "localstack.runtime.main"],
            f"{self.url}/_localstack/init/ready",
            ready=_provisioned,
            log=open_log(self.log_file),
            envvars=env,
            timeout=timeout,
        )
        self._executor.start()

    def stop(self) -> None:
        if self._executor is not None:
            self._executor.stop()
            self._executor = None

    def restart(self) -> None:
        """Stop and start again; LocalStack keeps no state, so the init hook re-provisions."""
        self.stop()
        self.start()
