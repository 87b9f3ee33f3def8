"""First-start helpers for ``learnloop up``: a quick champion, and the MLflow UI.

:func:`ensure_champion` runs ``learnloop pipeline run --quick`` (a couple of minutes on the
shipped data) unless a pipeline profile has already promoted a champion, so serving finds
``models:/learnloop-kt@champion`` at the first ``make up``. Skipped with
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


def ensure_champion(settings: Settings, log_path: Path) -> bool:
    """Train and register a quick champion if none was promoted yet; True if it ran."""
    if not settings.pipeline.bootstrap_on_up or champion_marker(settings) is not None:
        return False
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        done = subprocess.run(
            [sys.executable, "-m", "learnloop.cli", "pipeline", "run", "--quick"],
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"training the first champion failed; see {log_path}")
    return True


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
