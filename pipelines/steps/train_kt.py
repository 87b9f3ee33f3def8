"""Step ``train_kt``: fit every knowledge-tracing candidate of ``params.kt.models``.

Each model (``models.kt.make_model(name, **params.kt.hyper[name])``) is fitted on the training
learners' sequences (chunks of ``data.max_seq_len`` rows, the published protocol) with the
validation learners for early stopping, then scored on the validation split (the selection
metric). A model that is not available yet (``models.kt`` landing piece by piece) is skipped
with a note, never an error — unless no candidate at all could be trained.

Outputs: ``models/<name>.npz`` (``models.kt`` format), ``curves.json`` (the fit progress
reports: EM iterations / epochs with their metrics), ``candidates.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from models.kt import FitProgress, KTModel, make_model
from models.kt.data import flatten
from models.metrics import roc_auc
from pipelines.context import StepContext, StepResult
from pipelines.kt_data import Vocabulary, sequences


def fit_candidate(
    name: str,
    hyper: dict[str, Any],
    train: list[Any],
    valid: list[Any],
    vocab: Vocabulary,
    report: Callable[[str], None] | None = None,
) -> tuple[KTModel, list[dict[str, Any]], float]:
    """Fit one model; returns it, its learning curve and the fit time in seconds."""
    model = make_model(name, **hyper)
    curve: list[dict[str, Any]] = []

    def progress(p: FitProgress) -> None:
        epoch = p.stage.startswith("epoch")
        if epoch and p.done < p.total:
            return  # per-batch reports: keep the end of each epoch only
        curve.append({"stage": p.stage, "done": p.done, "total": p.total, **dict(p.metrics)})
        if report and epoch:
            shown = ", ".join(f"{k} {v:.4f}" for k, v in p.metrics.items())
            report(f"{name} {p.stage}: {shown}")

    started = time.perf_counter()
    model.fit(train, valid, n_skills=vocab.n_skills, n_problems=vocab.n_items, progress=progress)
    return model, curve, time.perf_counter() - started


def valid_auc(model: KTModel, valid: list[Any]) -> float:
    """AUC on the validation chunks."""
    preds = np.concatenate(model.predict_proba(valid)) if valid else np.zeros(0)
    return roc_auc(flatten(valid).correct, preds)


def run(ctx: StepContext) -> StepResult:
    """Fit the candidates on the training set of the ``features`` step."""
    data, kt = ctx.params.data, ctx.params.kt
    folder = ctx.input("features")
    rows = pd.read_parquet(folder / "training_set.parquet")
    vocab = Vocabulary.load(folder / "vocab.json")
    split = {s: sequences(rows[rows["split"] == s], vocab) for s in ("train", "valid")}
    train = split["train"].chunks(data.max_seq_len)
    valid = split["valid"].chunks(data.max_seq_len)
    (ctx.out / "models").mkdir()
    candidates: dict[str, dict[str, Any]] = {}
    curves: dict[str, list[dict[str, Any]]] = {}
    for name in kt.models:
        hyper = dict(kt.hyper.get(name, {}))
        try:
            model, curve, seconds = fit_candidate(name, hyper, train, valid, vocab, ctx.report)
        except (ImportError, ValueError) as exc:
            if isinstance(exc, ValueError) and "unknown KT model" not in str(exc):
                raise
            ctx.report(f"{name}: skipped ({exc})")
            candidates[name] = {"status": "skipped", "reason": str(exc)}
            continue
        path = model.save(ctx.out / "models" / f"{name}.npz")
        auc = valid_auc(model, valid)
        ctx.report(f"{name}: valid AUC {auc:.4f} in {seconds:.1f}s")
        candidates[name] = {
            "status": "trained",
            "file": path.name,
            "params": model.get_params(),
            "valid_auc": auc,
            "fit_seconds": seconds,
        }
        curves[name] = curve
    trained = {k: v for k, v in candidates.items() if v["status"] == "trained"}
    if not trained:
        raise RuntimeError(f"no KT candidate could be trained: {candidates}")
    (ctx.out / "candidates.json").write_text(json.dumps(candidates, indent=1, default=str))
    (ctx.out / "curves.json").write_text(json.dumps(curves, default=float))
    best = max(trained, key=lambda k: trained[k]["valid_auc"])
    return StepResult(
        metrics={f"{k}_valid_auc": v["valid_auc"] for k, v in trained.items()},
        summary=f"{len(trained)} model(s); best valid AUC {best} {trained[best]['valid_auc']:.4f}",
    )
