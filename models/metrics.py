"""Evaluation metrics shared by the models and the benchmarks (numpy only)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata


def roc_auc(y_true: npt.ArrayLike, y_score: npt.ArrayLike) -> float:
    """Area under the ROC curve (Mann-Whitney U with tie-averaged ranks); NaN if one class."""
    y = np.asarray(y_true).astype(bool).ravel()
    s = np.asarray(y_score, dtype=np.float64).ravel()
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(s)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def accuracy(y_true: npt.ArrayLike, y_score: npt.ArrayLike, threshold: float = 0.5) -> float:
    """Share of rows where ``score > threshold`` matches the label."""
    y = np.asarray(y_true).astype(bool).ravel()
    s = np.asarray(y_score, dtype=np.float64).ravel()
    return float(np.mean((s > threshold) == y)) if y.size else float("nan")


def log_loss(y_true: npt.ArrayLike, y_score: npt.ArrayLike, eps: float = 1e-7) -> float:
    """Mean binary cross-entropy."""
    y = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.clip(np.asarray(y_score, dtype=np.float64).ravel(), eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
