"""Point MLflow at the configured tracking/registry URI (MLflow imported lazily)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from learnloop.settings import Settings

if TYPE_CHECKING:
    from mlflow import MlflowClient

CHAMPION = "champion"
CHALLENGER = "challenger"


def configure(settings: Settings) -> str:
    """Set MLflow's tracking and registry URI from settings; returns the URI.

    Also turns off MLflow's telemetry and its per-file download progress bars (learnloop's
    commands and servers report their own progress; those bars flooded stderr)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow

    uri = settings.mlflow_tracking_uri
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def client(settings: Settings) -> MlflowClient:
    """An ``MlflowClient`` on the configured URI."""
    from mlflow import MlflowClient

    uri = configure(settings)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def experiment_id(settings: Settings, name: str | None = None) -> str:
    """Id of experiment ``name`` (default: the training experiment), created with the
    configured artifact location when missing."""
    import mlflow

    configure(settings)
    name = name or settings.mlflow.experiment
    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    location = settings.mlflow.artifact_location
    if location is None and _is_server(settings.mlflow_tracking_uri):
        return str(mlflow.create_experiment(name))  # the server's artifact store
    location = location or settings.mlflow_artifact_location
    if "://" not in location:
        Path(location).mkdir(parents=True, exist_ok=True)
        location = Path(location).resolve().as_uri()
    return str(mlflow.create_experiment(name, artifact_location=f"{location.rstrip('/')}/{name}"))


def _is_server(uri: str) -> bool:
    return uri.startswith(("http://", "https://", "databricks", "arn:"))


def model_names(settings: Settings) -> dict[str, str]:
    """``{"kt": ..., "rec": ...}`` registered model names."""
    return {"kt": settings.mlflow.kt_model_name, "rec": settings.mlflow.rec_model_name}
