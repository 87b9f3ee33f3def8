"""PNG plots of the evaluation (matplotlib, headless): ROC, calibration, learning curves."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def roc_points(y: npt.ArrayLike, p: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """False- and true-positive rates over every threshold (ties merged)."""
    y_arr = np.asarray(y).astype(bool)
    order = np.argsort(-np.asarray(p, dtype=np.float64), kind="stable")
    scores = np.asarray(p, dtype=np.float64)[order]
    hits = y_arr[order]
    last = np.r_[np.flatnonzero(np.diff(scores)), scores.size - 1] if scores.size else []
    tp = np.cumsum(hits)[last]
    fp = np.cumsum(~hits)[last]
    n_pos, n_neg = max(int(hits.sum()), 1), max(int((~hits).sum()), 1)
    return np.r_[0.0, fp / n_neg], np.r_[0.0, tp / n_pos]


def calibration_bins(
    y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per probability bin: mean prediction, observed rate, row count (empty bins dropped)."""
    y_arr = np.asarray(y, dtype=np.float64)
    p_arr = np.clip(np.asarray(p, dtype=np.float64), 0, 1)
    index = np.minimum((p_arr * bins).astype(int), bins - 1)
    count = np.bincount(index, minlength=bins).astype(np.float64)
    mean_p = np.bincount(index, p_arr, minlength=bins)
    mean_y = np.bincount(index, y_arr, minlength=bins)
    keep = count > 0
    return mean_p[keep] / count[keep], mean_y[keep] / count[keep], count[keep]


def expected_calibration_error(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10) -> float:
    """Row-weighted mean |observed - predicted| over the bins."""
    mean_p, mean_y, count = calibration_bins(y, p, bins)
    return float(np.sum(count * np.abs(mean_y - mean_p)) / max(count.sum(), 1.0))


def plot_roc(curves: Mapping[str, tuple[FloatArray, FloatArray, float]], path: Path) -> Path:
    """ROC curves ``{label: (fpr, tpr, auc)}``."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 5))
    for label, (fpr, tpr, auc) in curves.items():
        ax.plot(fpr, tpr, label=f"{label} (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], "k:", lw=1)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC (test)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_calibration(
    curves: Mapping[str, tuple[FloatArray, FloatArray, float]], path: Path
) -> Path:
    """Reliability diagram ``{label: (mean prediction, observed rate, ECE)}``."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 5))
    for label, (mean_p, mean_y, ece) in curves.items():
        ax.plot(mean_p, mean_y, "o-", label=f"{label} (ECE {ece:.3f})")
    ax.plot([0, 1], [0, 1], "k:", lw=1)
    ax.set(xlabel="predicted P(correct)", ylabel="observed rate", title="Calibration (test)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_learning_curves(curves: Mapping[str, list[dict[str, Any]]], path: Path) -> Path:
    """One panel per model: every numeric metric its fit reported, against progress steps."""
    plt = _pyplot()
    names = [n for n, c in curves.items() if c] or ["(none)"]
    fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.6), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        points = curves.get(name, [])
        keys = sorted({k for p in points for k, v in p.items() if _is_metric(k, v)})
        for key in keys:
            xs = [i for i, p in enumerate(points, 1) if key in p]
            ax.plot(xs, [points[i - 1][key] for i in xs], marker=".", label=key)
        ax.set(title=f"{name}: learning curve", xlabel="fit step (EM iteration / epoch)")
        if keys:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _is_metric(key: str, value: Any) -> bool:
    return key not in {"done", "total", "stage"} and isinstance(value, int | float)
