#!/usr/bin/env python3
"""Local stand-ins for the public images of docker-compose.yml, and a private Docker daemon.

No container registry is reachable on the project's machines, so `docker compose up`
cannot pull python:3.13-slim, localstack/localstack:4.12 or postgres:16. For the compose
smoke test only, this script builds images that behave like those (from Debian packages
and PyPI, on a debootstrap base) and tags them with exactly those names. See README.md.

    standins.py up [--selftest]   tools + daemon (ours if none answers) + stand-ins
    standins.py env               shell exports for docker/docker-compose (eval it)
    standins.py selftest          check the stand-ins themselves
    standins.py down              remove containers/networks/volumes; stop our daemon;
                                  unmount, delete bridges and iptables rules it left
    standins.py verify            check that nothing is left behind
    standins.py run [--selftest] -- CMD...   up, CMD with env, down (always)

Stdlib only; must run as root (apt, dockerd, debootstrap).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import fcntl
import hashlib
import inspect
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Git-ignored cache: rootfs tarballs, the daemon's data-root (so images survive
# between runs), logs and the run state. COMPOSE_SMOKE_CACHE moves it elsewhere.
CACHE = Path(os.environ.get("COMPOSE_SMOKE_CACHE", HERE / ".cache")).resolve()
DATA_ROOT = CACHE / "docker"
LOGS = CACHE / "logs"
STATE = CACHE / "state.json"
BIN = CACHE / "bin"  # holds a `docker` symlink to Debian's client, put first on PATH
# Runtime dir on tmpfs with a short path: unix socket paths are limited to 107 bytes.
EXEC_ROOT = Path("/run/causeway-compose-smoke")
OUR_SOCK = EXEC_ROOT / "docker.sock"
# Our containers' cgroups live under /sys/fs/cgroup/<controller>/causeway-compose-smoke,
# so a crash clean-up can find (and end) exactly their processes.
CGROUP_PARENT = "causeway-compose-smoke"
# Host folders dockerd/containerd create outside data-root and exec-root whatever the
# flags: plugin discovery (/run/docker/plugins) and shim sockets (/run/containerd/s).
OUTSIDE_DIRS = [Path("/run/docker/plugins"), Path("/run/docker"), Path("/run/containerd/s"), Path("/run/containerd")]
SHIM_SOCKETS = Path("/run/containerd/s")
DEFAULT_SOCK = Path("/var/run/docker.sock")
# Debian's client matches the daemon (20.10). These machines also carry a newer static
# client in /usr/local/bin, earlier on PATH, whose `docker build` wants buildx.
DOCKER = "/usr/bin/docker"
MIRROR = "http://deb.debian.org/debian"
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
LABEL = "causeway.standin.hash"
SELFTEST_LABEL = "causeway.standin.selftest"
SELFTEST_NET = "causeway-smoke-selftest"

BASES = {"bookworm": "causeway-smoke-base/debian:bookworm", "trixie": "causeway-smoke-base/debian:trixie"}
# tag (exactly as docker-compose.yml names it) -> (folder under images/, Debian suite of its base)
STANDINS = {
    "python:3.13-slim": ("python", "trixie"),  # trixie ships python3.13
    "localstack/localstack:4.12": ("localstack", "bookworm"),  # bookworm ships python3.11
    "postgres:16": ("postgres", "bookworm"),  # bookworm ships PostgreSQL 15 (no 16 in Debian)
}
APT_TOOLS = {
    "dockerd": "docker.io",
    "docker-compose": "docker-compose",
    "debootstrap": "debootstrap",
    "iptables": "iptables",
    "ip": "iproute2",
}

T0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[compose-smoke {time.monotonic() - T0:6.1f}s] {msg}", flush=True)


def sh(
    *cmd: str | Path,
    check: bool = True,
    capture: bool = False,
    logfile: Path | None = None,
    env: dict | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess:
    """Run a command; with logfile, its output goes there and its tail is shown on failure."""
    argv = [str(c) for c in cmd]
    if logfile:
        logfile.parent.mkdir(parents=True, exist_ok=True)
        with open(logfile, "ab") as out:
            out.write(f"\n$ {shlex.join(argv)}\n".encode())
            out.flush()
            p = subprocess.run(
                argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, timeout=timeout
            )
        if check and p.returncode:
            tail = logfile.read_text(errors="replace").splitlines()[-30:]
            raise SystemExit(
                f"command failed ({p.returncode}): {shlex.join(argv)}\n" + "\n".join(tail) + f"\n(full log: {logfile})"
            )
        return p
    p = subprocess.run(argv, capture_output=capture, text=True, stdin=subprocess.DEVNULL, env=env, timeout=timeout)
    if check and p.returncode:
        raise SystemExit(f"command failed ({p.returncode}): {shlex.join(argv)}\n{p.stderr or ''}")
    return p


def wait_for(what: str, probe, deadline_s: float, interval: float = 0.2):
    """Poll probe() until it returns a truthy value; fail after deadline_s (no fixed sleeps)."""
    end = time.monotonic() + deadline_s
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > end:
            raise SystemExit(f"timed out after {deadline_s:.0f}s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------- state and locking


def load_state() -> dict:
    try:
        return json.loads(STATE.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def save_state(state: dict) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = STATE.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2))
    tmp.replace(STATE)


@contextlib.contextmanager
def locked():
    """One up/down at a time (two make targets racing on one daemon)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


# ---------------------------------------------------------------- tools


def ensure_tools() -> None:
    missing = sorted(
        {pkg for cmd, pkg in APT_TOOLS.items() if not shutil.which(cmd)}
        | (set() if Path(DOCKER).exists() else {"docker.io"})
    )
    if not missing:
        return
    log(f"installing from Debian: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # docker.io's postinst would start the system daemon where invoke-rc.d is allowed to;
    # we want no daemon but our own, so deny service starts for the install (Debian's
    # standard policy-rc.d mechanism) unless a policy is already in place.
    policy = Path("/usr/sbin/policy-rc.d")
    ours = not policy.exists()
    if ours:
        policy.write_text("#!/bin/sh\n# temporary, causeway compose smoke test\nexit 101\n")
        policy.chmod(0o755)
    try:
        sh("apt-get", "update", "-qq", logfile=LOGS / "apt.log", env=env)
        sh(
            "apt-get",
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            *missing,
            logfile=LOGS / "apt.log",
            env=env,
        )
    finally:
        if ours:
            policy.unlink()


# ---------------------------------------------------------------- daemon


def answers(host: str) -> bool:
    try:
        return (
            sh(DOCKER, "-H", host, "info", "--format", "{{.ID}}", check=False, capture=True, timeout=10).returncode == 0
        )
    except subprocess.TimeoutExpired:
        return False


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (our own child after it exited) is not alive
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


def links() -> set[str]:
    out = sh("ip", "-o", "link", "show", capture=True).stdout
    return {line.split(": ")[1].split("@")[0] for line in out.splitlines() if ": " in line}


def iptables_rules(table: str) -> list[str]:
    return sh("iptables", "-w", "-t", table, "-S", capture=True).stdout.splitlines()


def docker_host() -> str:
    """The daemon in use: from the state file, else whatever answers, else none ("")."""
    state = load_state()
    if state.get("docker_host") and answers(state["docker_host"]):
        return state["docker_host"]
    env_host = os.environ.get("DOCKER_HOST", "")
    for host in (env_host, f"unix://{OUR_SOCK}", f"unix://{DEFAULT_SOCK}"):
        if host and answers(host):
            return host
    return ""


def start_daemon() -> str:
    """Use a daemon that already answers; otherwise start our own, isolated one."""
    state = load_state()
    if state.get("started") and pid_alive(state.get("pid")) and answers(state["docker_host"]):
        log(f"reusing our daemon from a previous 'up' (pid {state['pid']})")
        return state["docker_host"]
    if state.get("started"):
        # a previous run died without 'down': clean its leftovers first
        log("found state of an unfinished run; tearing it down first")
        teardown()
        state = {}
    # (our socket path answering here means another clone's run owns that daemon)
    for host in (os.environ.get("DOCKER_HOST", ""), f"unix://{DEFAULT_SOCK}", f"unix://{OUR_SOCK}"):
        if host and answers(host):
            log(f"a Docker daemon already answers at {host}; using it (we will not stop it)")
            save_state({"started": False, "docker_host": host})
            return host

    dockerd = shutil.which("dockerd")
    EXEC_ROOT.mkdir(mode=0o700, parents=True, exist_ok=True)
    DATA_ROOT.mkdir(parents=True, exist_ok=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    config = CACHE / "daemon.json"
    # Own config: never pick up a system /etc/docker/daemon.json, and keep the daemon's
    # identity key (20.10 writes it to /etc/docker/key.json by default) in our cache.
    config.write_text(json.dumps({"deprecated-key-path": str(CACHE / "key.json")}) + "\n")
    # What the daemon will change on the host, to restore exactly that at teardown.
    state = {
        "started": True,
        "docker_host": f"unix://{OUR_SOCK}",
        "links_before": sorted(links()),
        "ip_forward_before": Path("/proc/sys/net/ipv4/ip_forward").read_text().strip(),
        "iptables_before": {t: iptables_rules(t) for t in ("filter", "nat")},
        "dirs_before": [str(d) for d in OUTSIDE_DIRS if d.exists()],
        "shim_sockets_before": sorted(p.name for p in SHIM_SOCKETS.glob("*")),
    }
    save_state(state)  # before the start: a crash from here on can still be torn down
    with open(LOGS / "dockerd.log", "ab") as out:
        argv = [dockerd, "--config-file", config, "--data-root", DATA_ROOT, "--exec-root", EXEC_ROOT]
        argv += ["--pidfile", EXEC_ROOT / "dockerd.pid", "-H", state["docker_host"]]
        argv += ["--cgroup-parent", f"/{CGROUP_PARENT}", "--log-level", "warn"]
        proc = subprocess.Popen(
            [str(a) for a in argv],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives 'up'; 'down' stops it by pid
        )
    state["pid"] = proc.pid
    save_state(state)

    def ready() -> bool:
        if proc.poll() is not None:
            tail = (LOGS / "dockerd.log").read_text(errors="replace").splitlines()[-20:]
            raise SystemExit("dockerd exited early:\n" + "\n".join(tail))
        return answers(state["docker_host"])

    wait_for("dockerd to answer `docker info`", ready, 60)
    log(f"started dockerd (pid {proc.pid}), data-root {DATA_ROOT}")
    remove_all(state["docker_host"])  # records a crashed run left in the data-root
    return state["docker_host"]


def smoke_env(host: str) -> dict[str, str]:
    """Environment for docker / docker-compose against the daemon in use."""
    BIN.mkdir(parents=True, exist_ok=True)
    link = BIN / "docker"
    if not link.is_symlink():
        link.symlink_to(DOCKER)
    return {
        "DOCKER_HOST": host,
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        # docker-compose 1.29 builds through the API with the classic builder: no buildx
        # plugin exists here and the stand-ins are local images, never pulled.
        "DOCKER_BUILDKIT": "0",
        "COMPOSE_DOCKER_CLI_BUILD": "0",
    }


def docker(host: str, *args: str, **kw) -> subprocess.CompletedProcess:
    return sh(DOCKER, "-H", host, *args, **kw)


# ---------------------------------------------------------------- base images (debootstrap)


def trim_rootfs(root: Path, suite: str) -> None:
    """Make a debootstrap tree look like Debian's official -slim image bases."""
    # debootstrap copies the host's resolv.conf and hostname; Docker supplies its own.
    for f in ("etc/resolv.conf", "etc/hostname"):
        (root / f).unlink(missing_ok=True)
    (root / "etc/apt/sources.list").unlink(missing_ok=True)
    (root / "etc/apt/sources.list.d/debian.sources").write_text(
        f"Types: deb\nURIs: {MIRROR}\nSuites: {suite} {suite}-updates\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
        f"Types: deb\nURIs: {MIRROR}-security\nSuites: {suite}-security\nComponents: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    )
    # Like the official images: no service starts during apt installs in builds,
    # no apt caches kept in layers, and (-slim) no docs/man pages/translations.
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    (root / "etc/apt/apt.conf.d/docker-clean").write_text(
        'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };\n'
        'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";\n'
        'Acquire::Languages "none";\n'
    )
    (root / "etc/dpkg/dpkg.cfg.d/docker-slim").write_text(
        "path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\n"
        "path-exclude /usr/share/man/*\npath-exclude /usr/share/info/*\n"
        "path-exclude /usr/share/locale/*\npath-include /usr/share/locale/locale.alias\n"
    )
    for pattern in (
        "var/cache/apt/*.bin",
        "var/cache/apt/archives/*.deb",
        "var/lib/apt/lists/*",
        "usr/share/man/*",
        "usr/share/info/*",
        "var/log/*.log",
        "var/log/apt/*",
    ):
        for p in root.glob(pattern):
            if p.is_file() or p.is_symlink():
                p.unlink()
            elif p.is_dir():
                shutil.rmtree(p)
    for p in (root / "usr/share/doc").glob("*/*"):
        if p.name == "copyright":
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()


def base_recipe_hash(suite: str) -> str:
    # The recipe is the debootstrap call plus trim_rootfs's code: edit either, rebuild.
    recipe = json.dumps([suite, "minbase", MIRROR, inspect.getsource(trim_rootfs)])
    return hashlib.sha256(recipe.encode()).hexdigest()[:16]


def image_label(host: str, ref: str) -> str | None:
    p = docker(
        host,
        "image",
        "inspect",
        "--format",
        f'{{{{index .Config.Labels "{LABEL}"}}}}',
        ref,
        check=False,
        capture=True,
    )
    return p.stdout.strip() if p.returncode == 0 else None


def ensure_base(host: str, suite: str) -> str:
    tag, want = BASES[suite], base_recipe_hash(suite)
    if image_label(host, tag) == want:
        return f"{tag}: cached"
    started = time.monotonic()
    tarball = CACHE / "rootfs" / f"{suite}-{want}.tar"
    how = "imported cached rootfs"
    if not tarball.exists():
        how = "debootstrapped"
        for old in tarball.parent.glob(f"{suite}-*.tar"):
            old.unlink()
        tarball.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE, prefix=f"rootfs-{suite}-") as tmp:
            root = Path(tmp) / "root"
            sh(
                "debootstrap",
                "--variant=minbase",
                suite,
                root,
                MIRROR,
                logfile=LOGS / f"debootstrap-{suite}.log",
            )
            trim_rootfs(root, suite)
            part = tarball.with_suffix(".part")
            sh("tar", "--numeric-owner", "--xattrs", "-C", root, "-cf", part, ".")
            part.replace(tarball)
    docker(
        host,
        "import",
        "--change",
        'CMD ["bash"]',
        "--change",
        f"LABEL {LABEL}={want}",
        tarball,
        tag,
        capture=True,
    )
    return f"{tag}: {how} in {time.monotonic() - started:.0f}s"


# ---------------------------------------------------------------- stand-in images


def standin_hash(host: str, folder: Path, suite: str) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(f"{f.relative_to(folder)}:{f.stat().st_mode & 0o111}\n".encode())
        h.update(f.read_bytes())
    h.update(HOST_CA.read_bytes())
    base_id = docker(host, "image", "inspect", "--format", "{{.Id}}", BASES[suite], capture=True).stdout
    h.update(base_id.encode())
    return h.hexdigest()[:16]


def ensure_standin(host: str, tag: str) -> str:
    name, suite = STANDINS[tag]
    folder = HERE / "images" / name
    want = standin_hash(host, folder, suite)
    if image_label(host, tag) == want:
        return f"{tag}: cached"
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=CACHE, prefix=f"ctx-{name}-") as ctx:
        shutil.copytree(folder, ctx, dirs_exist_ok=True)
        shutil.copy(HOST_CA, Path(ctx) / "host-ca-bundle.crt")
        # Classic builder on the default bridge network: the same path compose's own
        # service builds take, so a working stand-in build also proves NAT/DNS work.
        docker(
            host,
            "build",
            "--rm",
            "--force-rm",
            "--label",
            f"{LABEL}={want}",
            "-t",
            tag,
            ctx,
            logfile=LOGS / f"build-{name}.log",
            env=dict(os.environ, DOCKER_BUILDKIT="0"),
        )
    return f"{tag}: built in {time.monotonic() - started:.0f}s"


def build_all(host: str) -> None:
    with concurrent.futures.ThreadPoolExecutor() as pool:
        for msg in pool.map(lambda s: ensure_base(host, s), sorted({s for _, s in STANDINS.values()})):
            log(msg)
        for msg in pool.map(lambda t: ensure_standin(host, t), STANDINS):
            log(msg)
    for tag in STANDINS:
        ver = docker(
            host,
            "run",
            "--rm",
            "--entrypoint",
            "sh",
            tag,
            "-c",
            "python3 --version 2>/dev/null || true; postgres --version 2>/dev/null || true",
            capture=True,
        ).stdout.strip()
        log(f"  {tag}: {ver}")


# ---------------------------------------------------------------- self-test


def http_json(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return json.load(r)
    except (OSError, ValueError):
        return None


def container_ip(host: str, name: str) -> str:
    fmt = "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"
    return docker(host, "inspect", "--format", fmt, name, capture=True).stdout.strip()


def selftest(host: str) -> None:
    """Run each server stand-in as compose would and check what compose relies on."""
    cleanup_selftest(host)
    docker(host, "network", "create", "--label", SELFTEST_LABEL, SELFTEST_NET, capture=True)
    run = ["run", "-d", "--label", SELFTEST_LABEL, "--network", SELFTEST_NET]
    try:
        t = time.monotonic()
        out = docker(
            host,
            "run",
            "--rm",
            "--label",
            SELFTEST_LABEL,
            "--network",
            SELFTEST_NET,
            "python:3.13-slim",
            "sh",
            "-c",
            "set -e; python --version; pip --version; pip install -q --root-user-action=ignore uv;"
            " uv --version; python -m venv /tmp/v; /tmp/v/bin/python -c 'import ssl, sqlite3'",
            capture=True,
        ).stdout
        log(f"python:3.13-slim ok ({time.monotonic() - t:.1f}s): {' | '.join(out.split(chr(10))[:3])}")

        t = time.monotonic()
        docker(
            host,
            *run,
            "--name",
            "selftest-localstack",
            "-e",
            "SERVICES=sqs,sts",
            "-v",
            f"{HERE / 'selftest/localstack-ready.d'}:/etc/localstack/init/ready.d:ro",
            "localstack/localstack:4.12",
            capture=True,
        )
        base = f"http://{container_ip(host, 'selftest-localstack')}:4566"  # the daemon's bridge

        def init_done():
            doc = http_json(f"{base}/_localstack/init/ready")
            return doc if doc and doc.get("completed") else None

        doc = wait_for("LocalStack stand-in init hooks", init_done, 120, 0.3)
        ready_s = time.monotonic() - t
        states = {s["name"]: s["state"] for s in doc.get("scripts", [])}
        health = http_json(f"{base}/_localstack/health") or {}
        services = health.get("services", {})
        problems = [f"hook {n}: {s}" for n, s in states.items() if s != "SUCCESSFUL"]
        if set(states) != {"10-selftest.py", "20-selftest.sh"}:
            problems.append(f"hooks seen: {states}")
        if services.get("sqs") not in ("running", "available") or services.get("sns") != "disabled":
            problems.append(f"SERVICES not honoured: {services}")
        if docker(
            host,
            "exec",
            "selftest-localstack",
            "curl",
            "-fsS",
            "http://localhost:4566/_localstack/health",
            check=False,
            capture=True,
        ).returncode:
            problems.append("curl healthcheck failed inside the container")
        if problems:
            print(docker(host, "logs", "selftest-localstack", check=False, capture=True).stdout[-3000:])
            raise SystemExit("LocalStack stand-in self-test failed: " + "; ".join(problems))
        t = time.monotonic()
        docker(host, "stop", "selftest-localstack", capture=True)
        log(
            f"localstack/localstack:4.12 ok: hooks {states} ready in {ready_s:.1f}s, "
            f"version {health.get('version')}, stopped in {time.monotonic() - t:.1f}s"
        )

        t = time.monotonic()
        docker(
            host,
            *run,
            "--name",
            "selftest-pg",
            "-e",
            "POSTGRES_USER=smoke",
            "-e",
            "POSTGRES_PASSWORD=smoke-password",
            "-e",
            "POSTGRES_DB=smokedb",
            "-v",
            f"{HERE / 'selftest/postgres-initdb.d'}:/docker-entrypoint-initdb.d:ro",
            "postgres:16",
            capture=True,
        )
        # TCP, not the socket: the init-time server listens on the socket only.
        wait_for(
            "postgres stand-in",
            lambda: (
                docker(
                    host,
                    "exec",
                    "selftest-pg",
                    "pg_isready",
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "smoke",
                    "-d",
                    "smokedb",
                    check=False,
                    capture=True,
                ).returncode
                == 0
            ),
            60,
            0.3,
        )
        ready_s = time.monotonic() - t

        def psql(url: str, sql: str) -> subprocess.CompletedProcess:
            # a second container on the compose-like network, by service name, over TCP
            return docker(
                host,
                "run",
                "--rm",
                "--label",
                SELFTEST_LABEL,
                "--network",
                SELFTEST_NET,
                "postgres:16",
                "psql",
                url,
                "-tAc",
                sql,
                check=False,
                capture=True,
            )

        a = psql("postgresql://smoke:smoke-password@selftest-pg:5432/smokedb", "SELECT note FROM selftest")
        b = psql(
            "postgresql://app:app-password@selftest-pg:5432/appdb",
            "SELECT concat_ws(' / ', note, current_setting('password_encryption'), version()) FROM marker",
        )
        bad = psql("postgresql://app:wrong@selftest-pg:5432/appdb", "SELECT 1")
        refused = bad.returncode != 0 and "password authentication failed" in bad.stderr
        if a.returncode or b.returncode or not refused:
            raise SystemExit(
                f"postgres stand-in self-test failed:\n{a}\n{b}\n{bad}\n"
                + docker(host, "logs", "selftest-pg", check=False, capture=True).stderr[-3000:]
            )
        log(
            f"postgres:16 ok: ready in {ready_s:.1f}s; {a.stdout.strip()}; {b.stdout.strip()[:120]}; "
            "wrong password refused"
        )
    finally:
        cleanup_selftest(host)


def cleanup_selftest(host: str) -> None:
    ids = docker(host, "ps", "-aq", "--filter", f"label={SELFTEST_LABEL}", capture=True).stdout.split()
    if ids:
        docker(host, "rm", "-f", "-v", *ids, capture=True)
    docker(host, "network", "rm", SELFTEST_NET, check=False, capture=True)


# ---------------------------------------------------------------- teardown


def our_mounts() -> list[str]:
    """Mount points the daemon left under its data-root or exec-root (deepest first)."""
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].replace("\\040", " ")
        if any(point == str(r) or point.startswith(f"{r}/") for r in (DATA_ROOT, EXEC_ROOT)):
            points.append(point)
    return sorted(set(points), key=lambda p: p.count("/"), reverse=True)


def our_processes() -> list[int]:
    """Processes whose command line names our exec-root or data-root (dockerd, containerd, shims)."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) != os.getpid():
            with contextlib.suppress(OSError):
                cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if str(EXEC_ROOT) in cmd or str(DATA_ROOT) in cmd:
                    pids.append(int(d.name))
    return pids


def our_cgroups() -> list[Path]:
    """Cgroup folders of our containers, deepest first (cgroup v1 per controller, or v2)."""
    roots = [*Path("/sys/fs/cgroup").glob(f"*/{CGROUP_PARENT}"), Path("/sys/fs/cgroup") / CGROUP_PARENT]
    found = [d for r in roots if r.is_dir() for d in (r, *(p for p in r.rglob("*") if p.is_dir()))]
    return sorted(set(found), key=lambda p: len(p.parts), reverse=True)


def cgroup_pids() -> set[int]:
    pids: set[int] = set()
    for d in our_cgroups():
        with contextlib.suppress(OSError):
            pids.update(int(x) for x in (d / "cgroup.procs").read_text().split())
    return pids


def listening(sock: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.connect(str(sock))
            return True
        except OSError:
            return False


def clean_iptables(before: dict[str, list[str]]) -> None:
    """Delete the rules and chains dockerd added (it leaves them after exit); restore policies."""
    for table, rules_before in before.items():
        now = iptables_rules(table)
        for rule in reversed([r for r in now if r.startswith("-A ") and r not in rules_before]):
            sh("iptables", "-w", "-t", table, "-D", *shlex.split(rule)[1:], check=False, capture=True)
        for chain in [r.split()[1] for r in now if r.startswith("-N ") and r not in rules_before]:
            sh("iptables", "-w", "-t", table, "-F", chain, check=False, capture=True)
            sh("iptables", "-w", "-t", table, "-X", chain, check=False, capture=True)
        for policy in (r for r in rules_before if r.startswith("-P ")):
            sh("iptables", "-w", "-t", table, *shlex.split(policy), check=False, capture=True)


def remove_all(host: str) -> None:
    """On our private daemon everything is ours: drop containers, networks, volumes.
    Images stay (they are the cache); only dangling layers of rebuilds go."""
    ids = docker(host, "ps", "-aq", capture=True).stdout.split()
    if ids:
        docker(host, "rm", "-f", "-v", *ids, capture=True)
    docker(host, "network", "prune", "-f", capture=True)
    docker(host, "volume", "prune", "-f", capture=True)
    docker(host, "image", "prune", "-f", capture=True)
    if ids:
        log(f"removed {len(ids)} container(s) and their networks and volumes")


def teardown() -> None:
    state = load_state()
    host = state.get("docker_host") or docker_host()
    if host and answers(host):
        if state.get("started"):
            remove_all(host)
        else:
            # Someone else's daemon: only what this script made (compose down is the caller's).
            cleanup_selftest(host)
    if not state.get("started"):
        STATE.unlink(missing_ok=True)
        return

    pid = state.get("pid")
    if pid_alive(pid):
        t = time.monotonic()
        os.kill(pid, signal.SIGTERM)
        with contextlib.suppress(SystemExit):
            wait_for("dockerd to stop", lambda: not pid_alive(pid), 30)
        if pid_alive(pid):
            log("dockerd ignored SIGTERM for 30s; SIGKILL")
            os.kill(pid, signal.SIGKILL)
            wait_for("dockerd to die", lambda: not pid_alive(pid), 10)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if 'up' ran in this same process
        log(f"stopped dockerd (pid {pid}) in {time.monotonic() - t:.1f}s")
    # Its managed containerd and shims exit with it; wait, then end stragglers by pid.
    with contextlib.suppress(SystemExit):
        wait_for("containerd and shims to exit", lambda: not our_processes(), 15)
    for p in our_processes():
        log(f"killing leftover process {p}")
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGKILL)
    # Container processes outlive a killed daemon and shim (its PID namespace init
    # keeps running): end whatever is left in our containers' cgroups, then drop those.
    for p in cgroup_pids():
        log(f"killing leftover container process {p}")
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGKILL)
    with contextlib.suppress(SystemExit):
        wait_for("container processes to exit", lambda: not cgroup_pids(), 10)
    for d in our_cgroups():
        with contextlib.suppress(OSError):
            d.rmdir()
    for point in our_mounts():  # overlay rootfs, netns, shm, the data-root bind
        if sh("umount", point, check=False, capture=True).returncode:
            sh("umount", "-l", point, check=False, capture=True)
    before = set(state.get("links_before", []))
    for link in sorted(links() - before):
        if link == "docker0" or link.startswith(("br-", "veth")):
            sh("ip", "link", "delete", link, check=False, capture=True)
    if "iptables_before" in state:
        clean_iptables(state["iptables_before"])
    if "ip_forward_before" in state:
        Path("/proc/sys/net/ipv4/ip_forward").write_text(state["ip_forward_before"] + "\n")
    if not our_mounts():
        shutil.rmtree(EXEC_ROOT, ignore_errors=True)
    # Shim sockets of our containers (left when a shim was killed), then the folders
    # the daemon created outside its roots, if they were not there before and are empty.
    for sock in SHIM_SOCKETS.glob("*"):
        if sock.name not in state.get("shim_sockets_before", []) and sock.is_socket() and not listening(sock):
            sock.unlink()
    for d in OUTSIDE_DIRS:
        if str(d) not in state.get("dirs_before", []):
            with contextlib.suppress(OSError):
                d.rmdir()
    STATE.unlink(missing_ok=True)


def verify(state: dict) -> list[str]:
    """What is left behind (empty list = clean); state = the run's state before teardown."""
    problems = []
    started = state.get("started", True)
    if our_processes():
        problems.append(f"processes still running: {our_processes()}")
    if our_mounts():
        problems.append(f"mounts left: {our_mounts()}")
    if EXEC_ROOT.exists():
        problems.append(f"{EXEC_ROOT} still exists")
    if cgroup_pids() or our_cgroups():
        problems.append(f"container cgroups left: {our_cgroups()[:3]} with pids {sorted(cgroup_pids())}")
    if started:
        left = sorted(link for link in links() if link == "docker0" or link.startswith(("br-", "veth")))
        if left:
            problems.append(f"network links left: {left}")
        chains = [r for t in ("filter", "nat") for r in iptables_rules(t) if "DOCKER" in r]
        if chains:
            problems.append(f"iptables rules left: {chains[:5]}")
        if "dirs_before" in state:
            new = [str(d) for d in OUTSIDE_DIRS if d.exists() and str(d) not in state["dirs_before"]]
            if new:
                problems.append(f"folders left: {new}")
    return problems


# ---------------------------------------------------------------- commands


def cmd_up(args) -> int:
    if os.geteuid() != 0:
        raise SystemExit("run as root (apt-get, dockerd, debootstrap)")
    with locked():
        ensure_tools()
        host = start_daemon()
        build_all(host)
        if args.selftest:
            selftest(host)
    log("stand-ins ready: " + ", ".join(STANDINS))
    return 0


def cmd_down(args) -> int:
    # A second Ctrl-C or SIGTERM must not cut a teardown short (it is bounded anyway).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with locked():
        state = load_state()
        teardown()
    problems = verify(state)
    for p in problems:
        log(f"LEFT BEHIND: {p}")
    log("teardown complete, nothing left behind" if not problems else "teardown incomplete")
    return 1 if problems else 0


def cmd_env(args) -> int:
    host = docker_host()
    if not host:
        raise SystemExit("no Docker daemon answers; run `standins.py up` first")
    for k, v in smoke_env(host).items():
        print(f"export {k}={shlex.quote(v)}")
    return 0


def cmd_selftest(args) -> int:
    host = docker_host()
    if not host:
        raise SystemExit("no Docker daemon answers; run `standins.py up` first")
    selftest(host)
    return 0


def cmd_verify(args) -> int:
    # bridges and iptables rules are only ours to judge when no other daemon runs
    problems = verify({"started": not answers(f"unix://{DEFAULT_SOCK}")})
    for p in problems:
        print(f"LEFT BEHIND: {p}")
    print("clean" if not problems else "not clean")
    return 1 if problems else 0


def cmd_run(args) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise SystemExit("usage: standins.py run [--selftest] -- CMD ...")
    rc = 1
    try:
        cmd_up(args)
        env = dict(os.environ, **smoke_env(docker_host()))
        log(f"running: {shlex.join(command)}")
        rc = subprocess.call(command, env=env)
        log(f"command exited with {rc}")
    finally:
        down_rc = cmd_down(args)
    return rc or down_rc


def main() -> int:
    # SIGTERM (CI timeout, make killed) must still run teardown in `run`'s finally.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, fn in (
        ("up", cmd_up),
        ("down", cmd_down),
        ("env", cmd_env),
        ("selftest", cmd_selftest),
        ("verify", cmd_verify),
        ("run", cmd_run),
    ):
        p = sub.add_parser(name)
        p.set_defaults(fn=fn)
        if name in ("up", "run"):
            p.add_argument("--selftest", action="store_true", help="also run the stand-ins' self-test")
        if name == "run":
            p.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
