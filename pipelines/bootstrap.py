"""First-start helpers for ``learnloop up``: a quick champion, and the MLflow UI.

:func:`start_champion_job` runs ``learnloop pipeline run --quick`` in the background (about
1.5 minutes on the shipped data) unless a pipeline profile has already promoted a champion, so
``models:/learnloop-kt@champion`` appears shortly after the first ``make up``. Skipped with
``LEARNLOOP_PIPELINE__BOOTSTRAP_ON_UP=false``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from learnloop.localstack import ManagedProcess
from learnloop.settings import Settings
from pipelines.registry.server import mlflow_server


def champion_marker(settings: Settings) -> Path | None:
    """The state file of a finished ``promote`` step (any profile) that promoted a KT model."""
    for profile in ("full", "quick"):
        state = settings.pipeline_root / profile / "_state" / "promote.json"
        if state.is_file() and json.loads(state.read_text()).get("status") == "done":
            return state
    return None


def start_champion_job(settings: Settings, log_path: Path) -> subprocess.Popen[bytes] | None:
    """Start training a quick champion in the background if none was promoted yet.

    Returns the running job (its output goes to ``log_path``), or ``None`` when a champion
    exists or ``LEARNLOOP_PIPELINE__BOOTSTRAP_ON_UP=false``. Serving picks the champion up
    when its alias appears (registry polling), so ``learnloop up`` does not wait for it.
    """
    if not settings.pipeline.bootstrap_on_up or champion_marker(settings) is not None:
        return None
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return subprocess.Popen(  # the job outlives this function; stopped by the stack
            [sys.executable, "-m", "learnloop.cli", "pipeline", "run", "--quick"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_job(job: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Stop a background job (SIGTERM, then SIGKILL); a half-run pipeline publishes nothing."""
    if job.poll() is None:
        job.terminate()
        try:
            job.wait(timeout)
        except subprocess.TimeoutExpired:
            job.kill()
            job.wait()


def mlflow_ui(settings: Settings, workdir: Path) -> ManagedProcess | None:
    """An MLflow server over the local store (``LEARNLOOP_MLFLOW__UI=true``), else None."""
    uri = settings.mlflow_tracking_uri
    if not settings.mlflow.ui or not uri.startswith("sqlite:///"):
        return None
    Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return mlflow_server(
        backend_uri=uri,
        artifacts=Path(settings.mlflow_artifact_location),
        port=settings.mlflow.ui_port,
        workdir=workdir,
    )
