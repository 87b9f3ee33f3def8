"""Step ``register``: log the challengers to MLflow, register them, score the champion, decide.

For each model kind (KT, and the recommender when one was trained): one MLflow run (params,
metrics, learning curves, plots, reports, drift reference, pyfunc model), a new registered
version with the alias ``challenger``, the current champion re-scored on the *same* test rows,
and the gate decision (:mod:`pipelines.registry.gate`) tagged on the version. The champion is
not moved here: ``promote`` does that (on SageMaker, behind the pipeline's ConditionStep).

Outputs: ``register.json`` (versions, runs, decisions with reasons) and ``gate.json``
(``{"kt": {"passed": ..., "reasons": ...}, ...}``, the SageMaker property file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from learnloop.settings import Settings
from pipelines.artifacts import md5_file
from pipelines.context import StepContext, StepResult
from pipelines.params import PipelineParams
from pipelines.registry.gate import GateDecision, decide
from pipelines.registry.tracking import CHAMPION, model_names
from pipelines.scoring import holdout_last, kt_metrics, predict_rows, rec_metrics
from pipelines.steps.evaluate import write_json
from pipelines.steps.ingest import source_name
from pipelines.steps.train_rec import item_sequences


def registry_fingerprint(settings: Settings) -> dict[str, Any]:
    """What of the registry configuration a rerun depends on (URI, names, gate settings).

    The registry's content is not part of it: after resetting a registry, rerun with
    ``--force`` to register again."""
    gate = settings.pipeline
    return {
        "uri": settings.mlflow_tracking_uri,
        "names": model_names(settings),
        "gate": [gate.auc_tolerance, gate.recall_tolerance, gate.min_auc, gate.latency_budget_ms],
    }


def fingerprint_extra(settings: Settings, params: PipelineParams) -> Any:
    return registry_fingerprint(settings)


def validation_passed(folders: dict[str, Path]) -> bool:
    """Both validation reports of this run say success."""
    reports = [folders["validate"] / "events.json", folders["features"] / "training_set.json"]
    return all(p.is_file() and json.loads(p.read_text())["success"] for p in reports)


def new_version(client: Any, name: str, model_uri: str) -> tuple[str, Any]:
    """Register ``model_uri`` as a new version of ``name`` with the alias ``challenger``;
    returns it and the current champion version (``None`` if none, or if it is this one)."""
    import mlflow

    from pipelines.registry import versions

    version = str(mlflow.register_model(model_uri, name).version)
    versions.set_challenger(client, name, version)
    current = versions.alias_version(client, name, CHAMPION)
    return version, current if current is not None and str(current.version) != version else None


def register_kt(
    ctx: StepContext,
    client: Any,
    evaluation: dict[str, Any],
    folders: dict[str, Path],
    tags: dict[str, str],
) -> dict[str, Any]:
    """Log, register and gate the KT challenger."""
    from pipelines.registry.loading import load_kt
    from pipelines.registry.runs import log_kt

    settings = ctx.settings
    name = model_names(settings)["kt"]
    logged = log_kt(
        settings,
        evaluation=evaluation,
        folders=folders,
        tags=tags,
        params={f"data.{k}": v for k, v in ctx.params.section("data").items()},
    )
    version, current = new_version(client, name, logged.model_uri)
    kt = evaluation["kt"]
    best = kt["candidates"][kt["selected"]]
    challenger = {"test_auc": best["test_auc"], "latency_p99_ms": best["latency_p99_ms"]}
    champion = None
    if current is not None:
        rows = pd.read_parquet(folders["features"] / "training_set.parquet")
        test = rows[rows["split"] == "test"].reset_index(drop=True)
        loaded = load_kt(settings, f"models:/{name}/{current.version}")
        p = predict_rows(loaded.model, test, loaded.vocab, ctx.params.data.max_seq_len)
        champion = {
            "version": str(current.version),
            "test_auc": kt_metrics(test["correct"], p)["auc"],
        }
        ctx.report(
            f"champion v{current.version}: test AUC {champion['test_auc']:.4f} on the same rows"
        )
    gate = settings.pipeline
    decision = decide(
        name,
        metric="test_auc",
        challenger=challenger,
        champion=champion,
        validation_passed=validation_passed(folders),
        tolerance=gate.auc_tolerance,
        floor=gate.min_auc,
        latency_p99_ms=best["latency_p99_ms"],
        latency_budget_ms=gate.latency_budget_ms,
    )
    _tag(client, name, version, kt["selected"], f"test_auc={best['test_auc']:.4f}", decision, tags)
    return _entry(name, version, logged.run_id, logged.model_uri, decision)


def register_rec(
    ctx: StepContext,
    client: Any,
    evaluation: dict[str, Any],
    folders: dict[str, Path],
    tags: dict[str, str],
) -> dict[str, Any]:
    """Log, register and gate the recommender challenger."""
    from pipelines.registry.loading import load_rec
    from pipelines.registry.runs import log_rec

    settings = ctx.settings
    name = model_names(settings)["rec"]
    rec = evaluation["rec"]
    logged = log_rec(settings, evaluation=evaluation, folders=folders, tags=tags, params={})
    version, current = new_version(client, name, logged.model_uri)
    best = rec["candidates"][rec["selected"]]
    challenger = {"test_recall_at_k": best["test_recall_at_k"]}
    champion = None
    if current is not None:
        rows = pd.read_parquet(folders["features"] / "training_set.parquet")
        histories, targets = holdout_last(item_sequences(rows[rows["split"] == "test"]))
        model = load_rec(settings, f"models:/{name}/{current.version}")
        metrics = rec_metrics(model, histories, targets, rec["k"])
        champion = {"version": str(current.version), "test_recall_at_k": metrics["recall_at_k"]}
    decision = decide(
        name,
        metric="test_recall_at_k",
        challenger=challenger,
        champion=champion,
        validation_passed=validation_passed(folders),
        tolerance=settings.pipeline.recall_tolerance,
    )
    metric = f"recall@{rec['k']}={best['test_recall_at_k']:.4f}"
    _tag(client, name, version, rec["selected"], metric, decision, tags)
    return _entry(name, version, logged.run_id, logged.model_uri, decision)


def _tag(
    client: Any,
    name: str,
    version: str,
    kind: str,
    metric: str,
    decision: GateDecision,
    tags: dict[str, str],
) -> None:
    values = {
        "model_kind": kind,
        "test_metric": metric,
        "gate_passed": str(decision.passed).lower(),
        "gate_reasons": "; ".join(decision.reasons),
        **tags,
    }
    for key, value in values.items():
        client.set_model_version_tag(name, version, key, value)


def _entry(
    name: str, version: str, run_id: str, uri: str, decision: GateDecision
) -> dict[str, Any]:
    return {
        "name": name,
        "version": version,
        "run_id": run_id,
        "model_uri": uri,
        **decision.to_dict(),
    }


def run(ctx: StepContext) -> StepResult:
    """Register the challengers and write the gate decisions."""
    from pipelines.registry import tracking

    folders = {
        k: ctx.input(k) for k in ("validate", "features", "train_kt", "train_rec", "evaluate")
    }
    evaluation = json.loads((folders["evaluate"] / "evaluation.json").read_text())
    client = tracking.client(ctx.settings)
    rows = pd.read_parquet(folders["features"] / "training_set.parquet", columns=["timestamp"])
    tags = {
        "pipeline_profile": ctx.params.profile,
        "data_md5": md5_file(folders["features"] / "training_set.parquet"),
        "data_end": rows["timestamp"].max().isoformat(),
        "source": source_name(ctx.params.data) or "*",
        "max_seq_len": str(ctx.params.data.max_seq_len),
    }
    entries: dict[str, Any] = {"kt": register_kt(ctx, client, evaluation, folders, tags)}
    entries["rec"] = (
        register_rec(ctx, client, evaluation, folders, tags) if evaluation["rec"] else None
    )
    write_json(ctx.out / "register.json", entries)
    gate = {
        k: {"passed": v["passed"], "reasons": "; ".join(v["reasons"])} if v else {"passed": False}
        for k, v in entries.items()
    }
    write_json(ctx.out / "gate.json", gate)
    for entry in entries.values():
        if entry:
            verdict = "passes" if entry["passed"] else "fails"
            reasons = "; ".join(entry["reasons"])
            ctx.report(f"{entry['name']} v{entry['version']} {verdict} the gate: {reasons}")
    kt = entries["kt"]
    outcome = "passed" if kt["passed"] else "failed"
    return StepResult(
        metrics={"kt_version": kt["version"], "kt_gate_passed": kt["passed"]},
        summary=f"{kt['name']} v{kt['version']} challenger, gate {outcome}",
    )
