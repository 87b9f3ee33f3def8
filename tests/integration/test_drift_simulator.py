"""Drift monitoring proven with the learner simulator: a champion trained on a base period,
no breach on an undrifted continuation, a breach after harder items and a weaker cohort, and
the breach retrains — the new challenger is evaluated against the champion on the same rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from testkit.pipelines import copy_mlflow_store

from features.lake import Lake, events_to_table
from features.simulator import LearnerSimulator, SimulatorConfig
from learnloop.settings import Settings
from pipelines.runner import run_pipeline

pytestmark = pytest.mark.integration
KT = "drift-kt"
COHORT = 150
PARAMS = {
    "data": {"dataset": None, "source": "simulator", "max_learners": None},
    "kt": {"models": ["bkt"], "hyper": {"bkt": {"n_restarts": 1, "max_iter": 30}}},
    "rec": {"models": []},
    "evaluate": {"simulate": False, "latency_samples": 200},
}


@dataclass
class World:
    settings: Settings
    sim: LearnerSimulator
    lake: Lake


def append_cohort(world: World, sim: LearnerSimulator, first: int, batch: str) -> datetime:
    """Write the first 60 answers of the learners ``first..`` (earlier cohorts have left);
    returns the cohort's first answer time."""
    keep = set(sim.learner_ids[first:])
    events = [e for e in sim.generate(60) if e.learner_id in keep]
    world.lake.write_events(events_to_table(events), batch_id=batch)
    return min(e.timestamp for e in events)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, mlflow_db_template: Path) -> World:
    data_dir = tmp_path_factory.mktemp("drift")
    copy_mlflow_store(mlflow_db_template, data_dir)
    params_file = data_dir / "params.yaml"
    params_file.write_text(yaml.safe_dump(PARAMS))
    settings = Settings(
        data_dir=data_dir,
        mlflow={"kt_model_name": KT, "rec_model_name": "drift-rec"},
        pipeline={"params_file": params_file, "retrain_target": "local"},
        drift={"window_days": 60, "min_rows": 200},
    )
    # cohorts of 150 learners enrol within a day; the monitor compares their first 60 answers
    config = SimulatorConfig(n_learners=COHORT, seed=11, enrollment_days=1.0, session_gap_hours=24)
    sim = LearnerSimulator(config)
    world = World(settings, sim, Lake.from_uri(str(data_dir / "lake")))
    append_cohort(world, sim, 0, "cohort-a")
    result = run_pipeline(settings)
    assert result.ok, result.error
    return world


def test_no_breach_for_a_new_cohort_from_the_same_population(world: World) -> None:
    from pipelines.drift.monitor import check_drift

    world.sim = world.sim.with_drift(cohort_size=COHORT)
    append_cohort(world, world.sim, COHORT, "cohort-b")
    result = check_drift(world.settings)
    assert result.status == "ok", result.summary()
    assert result.window_rows >= 0.9 * COHORT * 60
    assert abs(result.reference_auc - result.window_auc) < 0.05


def test_drift_fires_and_retrains_a_challenger_evaluated_against_the_champion(
    world: World,
) -> None:
    from prometheus_client import generate_latest

    from pipelines.drift.metrics import REGISTRY
    from pipelines.drift.trigger import check_and_trigger
    from pipelines.registry.tracking import client

    first = len(world.sim.learner_ids)
    drifted = world.sim.with_drift(
        difficulty_shift=2.0, cohort_size=COHORT, cohort_ability_shift=-1.0
    )
    since = append_cohort(world, drifted, first, "cohort-c")
    outcome = check_and_trigger(world.settings, start=since, report=lambda message: None)
    drift = outcome.drift
    assert drift.status == "drift", drift.summary()
    breached = {f.feature for f in drift.features if f.breached}
    assert "correct" in breached  # harder items, weaker cohort: far fewer correct answers
    # the report: self-contained HTML with the plots
    html = Path(drift.report or "").read_text()
    assert "<img" in html and "data:image/png;base64," in html and "breach" in html
    # Prometheus gauges, in the registry and in the textfile
    exposition = generate_latest(REGISTRY).decode()
    assert f'learnloop_drift_detected{{model="{KT}"}} 1.0' in exposition
    assert f'learnloop_drift_score{{feature="correct",model="{KT}",test="psi"}}' in exposition
    textfile = world.settings.data_dir / "metrics" / "drift.prom"
    assert "learnloop_drift_score" in textfile.read_text()
    # written again after the retraining: the trigger's counters leave the CronJob pod too
    assert f'learnloop_retraining_triggered_total{{model="{KT}",reason="drift"}}' in (
        textfile.read_text()
    )
    # the trigger retrained: a new challenger, compared with the champion on the same rows
    assert outcome.triggered and outcome.detail is not None and outcome.detail.ok
    assert "register" in outcome.detail.ran
    register = json.loads((outcome.detail.root / "register" / "register.json").read_text())
    kt = register["kt"]
    assert kt["version"] == "2"
    assert kt["champion"]["version"] == "1" and kt["champion"]["test_auc"] > 0.5
    assert any("champion" in reason for reason in kt["reasons"])
    mlflow_client = client(world.settings)
    challenger = mlflow_client.get_model_version_by_alias(KT, "challenger")
    assert str(challenger.version) == "2" and challenger.tags["decision"] in {
        "promoted",
        "rejected",
    }
    # the check and the trigger are logged in MLflow
    run = mlflow_client.get_run(outcome.run_id)
    assert run.data.tags["retraining_triggered"] == "true"
    assert run.data.tags["drift_status"] == "drift"
    assert run.data.metrics["psi.correct"] > world.settings.drift.psi_threshold
    assert {a.path for a in mlflow_client.list_artifacts(outcome.run_id, "report")}
