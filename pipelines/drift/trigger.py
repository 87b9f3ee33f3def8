"""The retraining trigger: a drift breach (or a schedule) starts retraining, logged in MLflow.

Target ``local`` runs the pipeline in this process (the new challenger is registered, the
champion re-scored on the same test rows and the gate decides); ``sagemaker`` starts an
execution of the deployed SageMaker pipeline. Every check and trigger is a run in the
``<experiment>-monitoring`` experiment (drift metrics, the HTML report, the trigger decision).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from learnloop.settings import Settings
from pipelines.drift.metrics import GATE, RETRAINING, publish
from pipelines.drift.monitor import DriftResult, check_drift


@dataclass
class TriggerOutcome:
    """What the trigger saw and did."""

    drift: DriftResult
    triggered: bool
    reason: str
    target: str
    run_id: str
    detail: Any = None

    def summary(self) -> str:
        action = (
            f"retraining started ({self.target}): {self.reason}"
            if self.triggered
            else (f"no retraining: {self.reason}")
        )
        return f"{self.drift.summary()}\n{action}"


def log_check(settings: Settings, result: DriftResult, *, triggered: bool, reason: str) -> str:
    """Record a drift check (and the trigger decision) as an MLflow run; returns its id."""
    import mlflow

    from pipelines.registry.tracking import experiment_id

    exp = experiment_id(settings, f"{settings.mlflow.experiment}-monitoring")
    with mlflow.start_run(experiment_id=exp, run_name=f"drift check {result.model}") as run:
        mlflow.set_tags(
            {
                "model": result.model,
                "champion_version": str(result.version),
                "drift_status": result.status,
                "retraining_triggered": str(triggered).lower(),
                "trigger_reason": reason[:4000],
            }
        )
        metrics = {f"psi.{f.feature}": f.psi for f in result.features}
        metrics |= {f"ks.{f.feature}": f.ks for f in result.features}
        metrics |= {
            "prediction_psi": result.prediction_psi,
            "reference_auc": result.reference_auc,
            "window_auc": result.window_auc,
            "window_rows": float(result.window_rows),
        }
        mlflow.log_metrics({k: v for k, v in metrics.items() if math.isfinite(v)})
        mlflow.log_dict(result.to_dict(), "drift.json")
        if result.report:
            mlflow.log_artifact(result.report, "report")
    return str(run.info.run_id)


def retrain(settings: Settings, report: Callable[[str], None] = print) -> Any:
    """Start retraining on the configured target; returns the run report / execution."""
    if settings.pipeline.retrain_target == "sagemaker":
        from pipelines.sagemaker.deploy import deploy_pipeline

        return deploy_pipeline(settings, start=True)
    from pipelines.runner import run_pipeline

    result = run_pipeline(settings, report=report)
    for entry in _gate_outcomes(settings, result):
        GATE.labels(*entry).inc()
    return result


def _gate_outcomes(settings: Settings, result: Any) -> list[tuple[str, str]]:
    import json

    path = result.root / "register" / "register.json"
    if "register" not in result.ran or not path.is_file():
        return []
    entries = json.loads(path.read_text())
    return [(e["name"], "passed" if e["passed"] else "rejected") for e in entries.values() if e]


def check_and_trigger(
    settings: Settings,
    *,
    always: bool = False,
    end: datetime | None = None,
    start: datetime | None = None,
    report: Callable[[str], None] = print,
) -> TriggerOutcome:
    """Check drift; retrain on a breach (if ``retrain_on_breach``) or when ``always``."""
    result = check_drift(settings, end=end, start=start)
    if result.status == "drift" and settings.drift.retrain_on_breach:
        triggered, reason = True, "drift: " + "; ".join(result.breaches)
    elif always:
        triggered, reason = True, "scheduled retraining"
    else:
        triggered, reason = False, f"drift status {result.status}"
    run_id = log_check(settings, result, triggered=triggered, reason=reason)
    detail = None
    if triggered:
        RETRAINING.labels(result.model, "drift" if result.status == "drift" else "schedule").inc()
        report(f"retraining: {reason}")
        try:
            detail = retrain(settings, report)
        finally:  # the counters above leave a CronJob pod only with a push
            publish(settings)
    target = settings.pipeline.retrain_target
    return TriggerOutcome(result, triggered, reason, target, run_id, detail)
