"""A real ``mlflow server`` URI works like the local SQLite file: runs, artifacts through the
server's proxy, registry aliases, loading the champion, the decisions experiment."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from testkit.pipelines import write_kt_subset

from learnloop.localstack import ManagedProcess, free_port
from learnloop.settings import Settings
from pipelines.registry.server import mlflow_server
from pipelines.runner import run_pipeline

pytestmark = pytest.mark.integration
KT = "server-kt"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, mlflow_db_template: Path) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("mlflow-server")
    shutil.copy(mlflow_db_template, workdir / "mlflow.db")
    port = free_port()
    process: ManagedProcess = mlflow_server(
        backend_uri=f"sqlite:///{workdir / 'mlflow.db'}",
        artifacts=workdir / "artifacts",
        port=port,
        workdir=workdir,
    )
    with process.start():
        yield f"http://127.0.0.1:{port}"


def test_pipeline_registers_and_loads_the_champion_through_a_server(
    server: str,
    tmp_path: Path,
    dataset_dir: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mlflow

    # MLflow's per-file download bars are off wherever learnloop points MLflow at a registry
    monkeypatch.delenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", raising=False)

    from pipelines.registry.loading import load_kt
    from pipelines.registry.tracking import client

    write_kt_subset(dataset_dir, tmp_path / "lake", 60)
    params_file = tmp_path / "params.yaml"
    params_file.write_text(
        yaml.safe_dump(
            {
                "data": {"dataset": None, "source": "assist2009_pid"},
                "kt": {"models": ["bkt"]},
                "rec": {"models": []},
                "evaluate": {"simulate": False, "latency_samples": 100},
            }
        )
    )
    settings = Settings(
        data_dir=tmp_path,
        dataset_dir=dataset_dir,
        mlflow={"tracking_uri": server, "kt_model_name": KT},
        pipeline={"params_file": params_file},
    )
    result = run_pipeline(settings)
    assert result.ok, result.error
    mlflow_client = client(settings)
    champion = mlflow_client.get_model_version_by_alias(KT, "champion")
    assert str(champion.version) == "1" and champion.tags["decision"] == "promoted"
    run = mlflow_client.get_run(champion.run_id)
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")
    assert "test_auc" in run.data.metrics
    capfd.readouterr()
    loaded = load_kt(settings, f"models:/{KT}@champion", tmp_path / "download")
    assert loaded.vocab.n_skills > 0
    assert "Downloading artifacts" not in capfd.readouterr().err
    pyfunc = mlflow.pyfunc.load_model(f"models:/{KT}@champion")
    example = pyfunc.input_example
    assert example is not None and pyfunc.predict(example)["p_correct"].between(0, 1).all()
    decisions = mlflow.search_runs(
        experiment_names=[f"{settings.mlflow.experiment}-decisions"], output_format="list"
    )
    assert [r.data.tags["action"] for r in decisions] == ["promoted"]
    again = run_pipeline(settings)
    assert again.ok and again.ran == []
