"""The local pipeline end to end on 150 learners of the shipped ASSISTments 2009 data:
champion registered with everything logged, resumable reruns, validation blocking corrupted
input, the gate rejecting a challenger, manual promote and rollback.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from testkit.pipelines import copy_mlflow_store, write_kt_subset

from features.lake import EVENTS_SCHEMA
from learnloop.settings import Settings
from pipelines.params import PipelineParams, load_params
from pipelines.runner import RunReport, run_pipeline

pytestmark = pytest.mark.integration
KT = "test-kt"


@pytest.fixture(scope="module")
def settings(
    tmp_path_factory: pytest.TempPathFactory, dataset_dir: Path, mlflow_db_template: Path
) -> Settings:
    data_dir = tmp_path_factory.mktemp("pipeline")
    copy_mlflow_store(mlflow_db_template, data_dir)
    write_kt_subset(dataset_dir, data_dir / "lake", 150)
    return Settings(
        data_dir=data_dir,
        dataset_dir=dataset_dir,
        mlflow={"kt_model_name": KT, "rec_model_name": "test-rec"},
        pipeline={
            "quick": True,
            "quick_kt_models": ["bkt", "pfa"],
            "quick_rec_models": ["popularity"],
        },
    )


@pytest.fixture(scope="module")
def params(settings: Settings) -> PipelineParams:
    quick = load_params(settings)
    return dataclasses.replace(
        quick,
        data=dataclasses.replace(
            quick.data, dataset=None, source="assist2009_pid", max_learners=None
        ),
        evaluate=dataclasses.replace(quick.evaluate, sim_learners=8, sim_steps=10),
    )


@pytest.fixture(scope="module")
def first_run(settings: Settings, params: PipelineParams) -> RunReport:
    result = run_pipeline(settings, params=params)
    assert result.ok, result.error
    return result


def client(settings: Settings) -> Any:
    from pipelines.registry.tracking import client as make_client

    return make_client(settings)


def champion_version(settings: Settings) -> str:
    return str(client(settings).get_model_version_by_alias(KT, "champion").version)


def test_first_run_registers_a_champion_with_params_metrics_plots_and_model(
    settings: Settings, first_run: RunReport
) -> None:
    assert [o.status for o in first_run.outcomes] == ["ran"] * 8
    mlflow_client = client(settings)
    version = mlflow_client.get_model_version_by_alias(KT, "champion")
    assert str(version.version) == "1"
    assert str(mlflow_client.get_model_version_by_alias(KT, "challenger").version) == "1"
    assert version.tags["gate_passed"] == "true" and version.tags["decision"] == "promoted"
    assert "first-champion floor" in version.tags["gate_reasons"]
    run = mlflow_client.get_run(version.run_id)
    assert run.data.params["model"] in {"bkt", "pfa"}
    assert {"test_auc", "test_ece", "bkt.test_auc", "pfa.test_auc", "latency_p99_ms"} <= set(
        run.data.metrics
    )
    assert 0.5 < run.data.metrics["test_auc"] < 1.0
    curve = mlflow_client.get_metric_history(version.run_id, "bkt.curve.loglik")
    assert len(curve) > 1
    artifacts = {a.path for a in mlflow_client.list_artifacts(version.run_id, "plots")}
    assert artifacts == {"plots/roc.png", "plots/calibration.png", "plots/learning_curves.png"}
    names = {a.path for a in mlflow_client.list_artifacts(version.run_id, "reference")}
    assert names == {"reference/features.parquet", "reference/predictions.parquet"}
    decisions = (settings.data_dir / "mlflow" / "decisions.jsonl").read_text().splitlines()
    actions = [(d["model"], d["action"]) for d in map(json.loads, decisions)]
    assert (KT, "promoted") in actions and ("test-rec", "promoted") in actions


def test_champion_loads_as_pyfunc_and_natively(settings: Settings, first_run: RunReport) -> None:
    import mlflow
    import pandas as pd

    from models.kt import KTEvent
    from pipelines.registry.loading import load_kt

    uri = f"models:/{KT}@champion"
    pyfunc = mlflow.pyfunc.load_model(uri)
    assert pyfunc.metadata.signature is not None
    loaded = load_kt(settings, uri)
    skills = loaded.vocab.skills[:3]
    frame = pd.DataFrame(
        {
            "history_skills": [skills, [], ["never-seen-skill"]],
            "history_correct": [[1, 1, 0], [], [1]],
            "next_skills": [[skills[0]], [skills[1]], ["never-seen-skill"]],
        }
    )
    out = pyfunc.predict(frame)
    assert list(out.columns) == ["p_correct", "mastery"]
    assert out["p_correct"].between(0, 1).all()
    model, vocab = loaded.model, loaded.vocab
    state = model.init_state()
    for skill, ok in zip(vocab.skill_ids(skills), [1, 1, 0], strict=True):
        state = model.update(state, KTEvent((int(skill),), bool(ok)))
    native = model.predict_next(state, [int(vocab.skill_ids([skills[0]])[0])])
    assert out["p_correct"][0] == pytest.approx(native)


def test_second_run_with_unchanged_inputs_does_nothing(
    settings: Settings, params: PipelineParams, first_run: RunReport
) -> None:
    again = run_pipeline(settings, params=params)
    assert again.ok and again.ran == []
    assert {o.status for o in again.outcomes} == {"unchanged"}
    assert len(client(settings).search_model_versions(f"name='{KT}'")) == 1


def _corrupt_rows(n: int, **overrides: Any) -> pa.Table:
    rows = {
        "event_id": [f"00000000-0000-4000-8000-{i:012d}" for i in range(n)],
        "learner_id": ["assist2009_pid:corrupt"] * n,
        "timestamp": pa.array(
            [1_262_131_200_000_000 + i for i in range(n)], EVENTS_SCHEMA.field("timestamp").type
        ),
        "verb": ["answered"] * n,
        "object_id": ["assist2009_pid:p1"] * n,
        "object_type": ["problem"] * n,
        "course_id": [None] * n,
        "skill_ids": [["assist2009_pid:s1"]] * n,
        "correct": [True] * n,
        "score": [1.0] * n,
        "duration_s": [10.0] * n,
        "response": [None] * n,
        "hints_used": [0] * n,
        "context": [None] * n,
        "source": ["assist2009_pid"] * n,
        "schema_version": ["1.0"] * n,
    }
    rows.update(overrides)
    schema = pa.schema([f for f in EVENTS_SCHEMA if f.name in rows])
    return pa.table({k: rows[k] for k in schema.names}, schema=schema)


CORRUPTIONS = {
    "missing column": (lambda: _corrupt_rows(5).drop_columns(["correct"]), "correct"),
    "out-of-range values": (
        lambda: _corrupt_rows(5, score=[1.7] * 5, duration_s=[-3.0] * 5),
        "score",
    ),
    "empty partition": (lambda: _corrupt_rows(0), "empty partition"),
}


@pytest.fixture
def corrupt_file(settings: Settings, request: pytest.FixtureRequest) -> Iterator[str]:
    make, expected = CORRUPTIONS[request.param]
    folder = settings.data_dir / "lake" / "events" / "event_date=2009-12-30" / "verb=answered"
    folder.mkdir(parents=True)
    pq.write_table(make(), folder / "part-corrupt-0.parquet")
    yield expected
    shutil.rmtree(folder.parent)


@pytest.mark.parametrize("corrupt_file", list(CORRUPTIONS), indirect=True)
def test_corrupted_input_stops_at_validation_and_keeps_the_champion(
    settings: Settings, params: PipelineParams, first_run: RunReport, corrupt_file: str
) -> None:
    before = champion_version(settings)
    result = run_pipeline(settings, params=params)
    assert not result.ok
    assert [o.step for o in result.outcomes] == ["ingest", "validate"]
    assert result.outcomes[-1].status == "failed"
    assert "data validation failed" in (result.error or "")
    assert corrupt_file in (result.error or "")
    report = Path((result.error or "").rsplit("report: ", 1)[1])
    markdown = report.read_text()
    assert "**FAIL**" in markdown and corrupt_file in markdown
    assert champion_version(settings) == before
    assert len(client(settings).search_model_versions(f"name='{KT}'")) == 1


def test_gate_rejects_a_too_slow_challenger_and_records_why(
    settings: Settings, params: PipelineParams, first_run: RunReport
) -> None:
    recovered = run_pipeline(settings, params=params)  # corrupt files gone: nothing to retrain
    assert recovered.ok and set(recovered.ran) <= {"ingest", "validate"}
    strict = settings.model_copy(
        update={"pipeline": settings.pipeline.model_copy(update={"latency_budget_ms": 1e-6})}
    )
    result = run_pipeline(strict, params=params, steps=["register", "promote"])
    assert result.ok, result.error
    mlflow_client = client(settings)
    new = mlflow_client.get_model_version_by_alias(KT, "challenger")
    assert str(new.version) == "2"
    assert champion_version(settings) == "1"
    assert new.tags["decision"] == "rejected" and new.tags["gate_passed"] == "false"
    assert "> budget 1e-06 ms" in new.tags["gate_reasons"]
    assert "champion" in new.tags["gate_reasons"]  # compared with v1 on the same test rows
    register = json.loads((result.root / "register" / "register.json").read_text())
    assert register["kt"]["champion"]["version"] == "1"
    assert np.isfinite(register["kt"]["champion"]["test_auc"])


def test_manual_promote_and_rollback_are_recorded(
    settings: Settings, first_run: RunReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from learnloop.cli import app
    from learnloop.settings import get_settings

    if len(client(settings).search_model_versions(f"name='{KT}'")) < 2:
        pytest.skip("needs the rejected challenger of the gate test")
    monkeypatch.setenv("LEARNLOOP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("LEARNLOOP_MLFLOW__KT_MODEL_NAME", KT)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        promoted = runner.invoke(app, ["model", "promote", "kt", "2", "--reason", "hotfix"])
        assert promoted.exit_code == 0, promoted.output
        assert champion_version(settings) == "2"
        back = runner.invoke(app, ["model", "rollback", "kt", "--reason", "regression"])
        assert back.exit_code == 0, back.output
        assert champion_version(settings) == "1"
        listing = runner.invoke(app, ["model", "list", "kt"])
        assert "champion" in listing.output and "challenger" in listing.output
    finally:
        get_settings.cache_clear()
    lines = (settings.data_dir / "mlflow" / "decisions.jsonl").read_text().splitlines()
    last = [json.loads(line) for line in lines][-2:]
    assert [d["action"] for d in last] == ["manually_promoted", "rolled_back"]
    assert last[0]["reasons"] == ["hotfix"] and last[1]["reasons"][0] == "regression"


def test_a_learners_rows_leave_every_pipeline_dataset_on_erasure(
    settings: Settings, first_run: RunReport
) -> None:
    """GDPR: the training data the runs copied (events snapshot, training set, feature tables,
    predictions, MLflow's drift reference) are found and rewritten without the learner."""
    from services.common.data_platform import TrainingDataSubjectHandler

    handler = TrainingDataSubjectHandler(settings)
    predictions = pq.read_table(first_run.root / "evaluate" / "predictions.parquet")
    learner, other = predictions["learner_id"].unique().to_pylist()[:2]
    held = {f["path"]: f["total"] for f in handler.export_subject(learner)["files"]}
    run = first_run.root.name  # the pipeline's files are relative to its output folder
    assert {
        f"{run}/ingest/events.parquet",
        f"{run}/features/training_set.parquet",
        f"{run}/features/feature_tables/learner_activity/part-0.parquet",
        f"{run}/evaluate/predictions.parquet",
    } <= set(held)
    assert any(p.endswith("/artifacts/reference/predictions.parquet") for p in held)  # MLflow
    others = handler.export_subject(other)["files"]
    counts = handler.erase_subject(learner, "pseudonym")
    assert counts == {"files_rewritten": len(held), "rows_deleted": sum(held.values())}
    assert handler.export_subject(learner) == {"files": []}
    assert handler.export_subject(other)["files"] == others  # someone else's rows stay
    assert handler.erase_subject(learner, "pseudonym") == {"files_rewritten": 0, "rows_deleted": 0}
