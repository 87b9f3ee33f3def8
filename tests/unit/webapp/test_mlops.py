"""The data-scientist page's champion lookup against a real (local SQLite) MLflow registry."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from learnloop.settings import Settings
from webapp.mlops import champions, mlflow_ui_url, registry_exists

pytestmark = pytest.mark.slow


def test_champion_with_its_run_metrics(tmp_path: Path) -> None:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    settings = Settings(data_dir=tmp_path)
    assert not registry_exists(settings) and champions(settings) == []

    from pipelines.registry.tracking import client, experiment_id

    mlflow = client(settings)
    run = mlflow.create_run(experiment_id(settings))
    mlflow.log_metric(run.info.run_id, "test_auc", 0.71)
    mlflow.log_metric(run.info.run_id, "latency_p99_ms", 0.2)
    mlflow.set_terminated(run.info.run_id)
    name = settings.mlflow.kt_model_name
    mlflow.create_registered_model(name)
    mlflow.create_model_version(name, source=str(tmp_path), run_id=run.info.run_id)
    second = mlflow.create_model_version(name, source=str(tmp_path), run_id=run.info.run_id)
    mlflow.set_model_version_tag(name, second.version, "decision", "promoted")
    mlflow.set_registered_model_alias(name, "champion", second.version)

    (found,) = champions(settings)  # the recommender has no champion: not listed
    assert (found.kind, found.name, found.version) == ("kt", name, str(second.version))
    assert found.metrics == {"latency_p99_ms": 0.2, "test_auc": 0.71}
    assert found.decision == "promoted"
    assert mlflow_ui_url(settings) is None
    assert mlflow_ui_url(Settings(data_dir=tmp_path, mlflow={"ui": True})) == (
        "http://127.0.0.1:5000"
    )
