"""Step ``evaluate``: test metrics of every candidate, plots, latency, simulated learning gain.

KT candidates: AUC, accuracy, log-loss, RMSE, ECE on the test learners; the challenger is the
best by ``params.kt.selection_metric`` (validation AUC — the test split only reports); its
online latency (``predict_next`` + ``update`` per answer) and simulated learning gain (its kind
driving the adaptive policy in the simulator). Recommenders: recall@k / NDCG@k of each test
learner's last item; the challenger is the best by NDCG@k.

Outputs: ``evaluation.json`` (also the SageMaker property file), ``plots/roc.png``,
``plots/calibration.png``, ``plots/learning_curves.png``, ``predictions.parquet`` (the KT
challenger's test predictions: the drift monitor's reference).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.kt import load_model
from pipelines.context import StepContext, StepResult
from pipelines.kt_data import Vocabulary
from pipelines.plots import (
    calibration_bins,
    plot_calibration,
    plot_learning_curves,
    plot_roc,
    roc_points,
)
from pipelines.scoring import holdout_last, kt_metrics, online_latency_ms, predict_rows, rec_metrics
from pipelines.simulate import learning_gain
from pipelines.steps.train_rec import item_sequences


def select(results: dict[str, dict[str, Any]], metric: str, budget_ms: float) -> tuple[str, str]:
    """The best candidate by ``metric`` among those within the latency budget (if none is,
    the best overall — the gate will then reject it); returns ``(name, why)``."""
    ranked = sorted(results, key=lambda k: (results[k].get(metric, float("-inf")), k), reverse=True)
    eligible = [k for k in ranked if results[k]["latency_p99_ms"] <= budget_ms]
    if not eligible:
        return ranked[0], f"best {metric}; no candidate within the {budget_ms:g} ms latency budget"
    skipped = ranked[: ranked.index(eligible[0])]
    why = f"best {metric} within the {budget_ms:g} ms latency budget"
    if skipped:
        why += f" (better but too slow: {', '.join(skipped)})"
    return eligible[0], why


def evaluate_kt(ctx: StepContext, rows: pd.DataFrame, vocab: Vocabulary) -> dict[str, Any]:
    """Metrics, latency and plots of the KT candidates; picks the challenger."""
    folder = ctx.input("train_kt")
    candidates = json.loads((folder / "candidates.json").read_text())
    test = rows[rows["split"] == "test"].reset_index(drop=True)
    y = test["correct"].to_numpy()
    bins = ctx.params.evaluate.calibration_bins
    results: dict[str, dict[str, Any]] = {}
    rocs, calibrations, predictions = {}, {}, {}
    trained = {k: v for k, v in candidates.items() if v["status"] == "trained"}
    for name, info in trained.items():
        model = load_model(folder / "models" / info["file"])
        p = predict_rows(model, test, vocab, ctx.params.data.max_seq_len)
        metrics = kt_metrics(y, p, bins)
        latency = online_latency_ms(model, test, vocab, ctx.params.evaluate.latency_samples)
        results[name] = {
            "valid_auc": info["valid_auc"],
            **{f"test_{k}": v for k, v in metrics.items()},
            **{f"latency_{k}": v for k, v in latency.items()},
        }
        predictions[name] = p
        fpr, tpr = roc_points(y, p)
        rocs[name] = (fpr, tpr, metrics["auc"])
        mean_p, mean_y, _ = calibration_bins(y, p, bins)
        calibrations[name] = (mean_p, mean_y, metrics["ece"])
        ctx.report(
            f"{name}: test AUC {metrics['auc']:.4f}, ECE {metrics['ece']:.4f}, "
            f"online p99 {latency['p99_ms']:.2f} ms"
        )
    selected, why = select(
        results, ctx.params.kt.selection_metric, ctx.settings.pipeline.latency_budget_ms
    )
    ctx.report(f"challenger: {selected} ({why})")
    plots = ctx.out / "plots"
    plots.mkdir()
    plot_roc(rocs, plots / "roc.png")
    plot_calibration(calibrations, plots / "calibration.png")
    curves = json.loads((folder / "curves.json").read_text())
    plot_learning_curves(curves, plots / "learning_curves.png")
    out_rows = test[["learner_id", "event_id", "timestamp", "skill_id", "correct"]].copy()
    out_rows["p_correct"] = predictions[selected]
    out_rows.to_parquet(ctx.out / "predictions.parquet", index=False)
    out: dict[str, Any] = {
        "selected": selected,
        "selection": why,
        "candidates": results,
        "skipped": {k: v["reason"] for k, v in candidates.items() if v["status"] != "trained"},
        "selected_params": trained[selected]["params"],
    }
    if ctx.params.evaluate.simulate:
        hyper = dict(ctx.params.kt.hyper.get(selected, {}))
        gain = learning_gain(selected, hyper, ctx.params.evaluate)
        out["simulation"] = gain
        if gain:
            ctx.report(
                f"{selected}: simulated learning gain {gain['gain']:.4f} "
                f"(random {gain['random_gain']:.4f})"
            )
    return out


def evaluate_rec(ctx: StepContext, rows: pd.DataFrame) -> dict[str, Any] | None:
    """Ranking metrics of the recommender candidates (``None`` if the step was skipped)."""
    folder = ctx.input("train_rec")
    if not (folder / "candidates.json").is_file():
        return None
    from models.rec import load_recommender

    candidates = json.loads((folder / "candidates.json").read_text())
    histories, targets = holdout_last(item_sequences(rows[rows["split"] == "test"]))
    k = ctx.params.rec.k
    results = {}
    for name, info in candidates.items():
        if info["status"] != "trained":
            continue
        model = load_recommender(folder / "models" / name)
        results[name] = {
            f"test_{m}": v for m, v in rec_metrics(model, histories, targets, k).items()
        }
        ctx.report(f"{name}: recall@{k} {results[name]['test_recall_at_k']:.4f}")
    if not results:
        return None
    selected = max(results, key=lambda n: (results[n]["test_ndcg_at_k"], n))
    return {"selected": selected, "candidates": results, "k": k}


def run(ctx: StepContext) -> StepResult:
    """Evaluate the candidates of ``train_kt`` and ``train_rec`` on the test learners."""
    folder = ctx.input("features")
    rows = pd.read_parquet(folder / "training_set.parquet")
    vocab = Vocabulary.load(folder / "vocab.json")
    evaluation: dict[str, Any] = {
        "kt": evaluate_kt(ctx, rows, vocab),
        "rec": evaluate_rec(ctx, rows),
    }
    write_json(ctx.out / "evaluation.json", evaluation)
    kt = evaluation["kt"]
    best = kt["candidates"][kt["selected"]]
    metrics = {"kt_test_auc": best["test_auc"], "kt_latency_p99_ms": best["latency_p99_ms"]}
    if evaluation["rec"]:
        rec = evaluation["rec"]
        metrics["rec_test_ndcg_at_k"] = rec["candidates"][rec["selected"]]["test_ndcg_at_k"]
    return StepResult(
        metrics=metrics,
        summary=f"KT challenger {kt['selected']} (test AUC {best['test_auc']:.4f})"
        + (f", recommender {evaluation['rec']['selected']}" if evaluation["rec"] else ""),
    )


def write_json(path: Path, value: Any) -> Path:
    """JSON with NaN written as null (valid JSON for SageMaker's JsonGet)."""
    path.write_text(json.dumps(_clean(value), indent=1, default=str))
    return path


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value
