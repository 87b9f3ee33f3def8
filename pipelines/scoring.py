"""Scoring shared by evaluate, the registry gate and the drift monitor.

The same functions score a challenger, the champion (with its own vocabulary) and the champion
on a recent lake window, so every comparison is made on identical rows.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from models.kt import KTEvent, KTModel
from models.metrics import accuracy, log_loss, roc_auc
from pipelines.kt_data import Vocabulary, sequences
from pipelines.plots import expected_calibration_error

FloatArray = npt.NDArray[np.float64]


def predict_rows(model: KTModel, rows: pd.DataFrame, vocab: Vocabulary, max_len: int) -> FloatArray:
    """P(correct) of every row of ``rows`` (learner/time order) given the rows before it,
    aligned with ``rows``; sequences are cut into chunks of ``max_len`` as in training."""
    seqs = sequences(rows, vocab)
    out = np.full(len(rows), np.nan)
    if not seqs.sequences:
        return out
    preds = np.concatenate(model.predict_proba(seqs.chunks(max_len)))
    out[np.concatenate(seqs.row_index)] = preds
    return out


def kt_metrics(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10) -> dict[str, float]:
    """AUC, accuracy, log-loss, RMSE, Brier score and expected calibration error."""
    y_arr = np.asarray(y, dtype=np.float64)
    p_arr = np.asarray(p, dtype=np.float64)
    return {
        "auc": roc_auc(y_arr, p_arr),
        "accuracy": accuracy(y_arr, p_arr),
        "log_loss": log_loss(y_arr, p_arr),
        "rmse": float(np.sqrt(np.mean((y_arr - p_arr) ** 2))) if y_arr.size else float("nan"),
        "ece": expected_calibration_error(y_arr, p_arr, bins),
        "rows": float(y_arr.size),
    }


def online_latency_ms(
    model: KTModel, rows: pd.DataFrame, vocab: Vocabulary, samples: int
) -> dict[str, float]:
    """p50/p99 milliseconds of what serving does per answer: ``predict_next`` + ``update``,
    walking the first ``samples`` rows learner by learner with a live state."""
    skills = vocab.skill_ids(rows["skill_id"].head(samples))
    items = vocab.item_ids(rows["item_id"].head(samples))
    correct = rows["correct"].head(samples).to_numpy()
    learners = rows["learner_id"].head(samples).to_numpy()
    timings = []
    state = model.init_state()
    for i in range(len(skills)):
        if i and learners[i] != learners[i - 1]:
            state = model.init_state()
        problem = int(items[i]) or None
        started = time.perf_counter()
        model.predict_next(state, [int(skills[i])], problem)
        state = model.update(state, KTEvent((int(skills[i]),), bool(correct[i]), problem))
        timings.append((time.perf_counter() - started) * 1000)
    if not timings:
        return {"p50_ms": float("nan"), "p99_ms": float("nan")}
    arr = np.asarray(timings)
    return {"p50_ms": float(np.percentile(arr, 50)), "p99_ms": float(np.percentile(arr, 99))}


def holdout_last(sequences: dict[str, list[Any]]) -> tuple[list[list[Any]], list[Any]]:
    """Histories (all but the last item) and targets (the last item) of sequences of 2+."""
    histories, targets = [], []
    for seq in sequences.values():
        if len(seq) >= 2:
            histories.append(seq[:-1])
            targets.append(seq[-1])
    return histories, targets


def rec_metrics(
    model: Any, histories: list[list[Any]], targets: list[Any], k: int
) -> dict[str, float]:
    """Recall@k (hit rate) and NDCG@k of the held-out next item; unknown targets count as misses."""
    from models.rec.metrics import ndcg_at_k, recall_at_k

    known = [i for i, t in enumerate(targets) if t in model.vocabulary_]
    if not targets:
        return {"recall_at_k": float("nan"), "ndcg_at_k": float("nan"), "rows": 0.0}
    scores = model.score([histories[i] for i in known]).astype(np.float64)
    for row, i in enumerate(known):
        scores[row, model.vocabulary_.encode(histories[i])] = -np.inf
    target_index = model.vocabulary_.encode([targets[i] for i in known])
    total = len(targets)
    recall = recall_at_k(scores, target_index, k).sum() / total if known else 0.0
    ndcg = ndcg_at_k(scores, target_index, k).sum() / total if known else 0.0
    return {"recall_at_k": float(recall), "ndcg_at_k": float(ndcg), "rows": float(total)}
