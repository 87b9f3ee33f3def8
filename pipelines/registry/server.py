"""An MLflow tracking server (UI + REST + artifact proxy) as a managed local process.

Used by ``learnloop up`` (``LEARNLOOP_MLFLOW__UI=true``) over the same SQLite store and artifact
folder the pipeline writes, and by the tests that prove a server URI behaves like the file.
"""

from __future__ import annotations

import sys
from pathlib import Path

from learnloop.localstack import ManagedProcess


def mlflow_server(
    *,
    backend_uri: str,
    artifacts: Path,
    port: int,
    workdir: Path,
    host: str = "127.0.0.1",
) -> ManagedProcess:
    """An unstarted ``mlflow server --workers 1`` (call ``.start()``; ready when the port opens)."""
    artifacts.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        backend_uri,
        "--artifacts-destination",
        artifacts.resolve().as_uri(),
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    env = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", "MLFLOW_DISABLE_TELEMETRY": "true"}
    return ManagedProcess(
        "mlflow", argv, port=port, log_path=workdir / "mlflow.log", env=env, startup_timeout=180
    )
