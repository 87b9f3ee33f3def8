"""Evaluation helpers: ROC points, calibration bins, ECE, and the PNG files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.metrics import roc_auc
from pipelines.plots import (
    calibration_bins,
    expected_calibration_error,
    plot_calibration,
    plot_learning_curves,
    plot_roc,
    roc_points,
)


def test_roc_area_matches_the_auc() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 3000)
    p = np.clip(0.3 * y + rng.random(3000) * 0.7, 0, 1)
    fpr, tpr = roc_points(y, p)
    assert fpr[0] == 0 and tpr[-1] == 1
    assert abs(np.trapezoid(tpr, fpr) - roc_auc(y, p)) < 1e-9


def test_perfectly_calibrated_predictions_have_small_ece() -> None:
    rng = np.random.default_rng(1)
    p = rng.random(50_000)
    y = rng.random(50_000) < p
    assert expected_calibration_error(y, p) < 0.01
    assert expected_calibration_error(y, np.clip(p + 0.2, 0, 1)) > 0.15
    mean_p, mean_y, count = calibration_bins(y, p, bins=5)
    assert count.sum() == 50_000 and np.all(np.abs(mean_p - mean_y) < 0.02)


def test_plots_are_png_files(tmp_path: Path) -> None:
    fpr, tpr = roc_points([0, 1, 1, 0], [0.1, 0.8, 0.6, 0.4])
    paths = [
        plot_roc({"m": (fpr, tpr, 1.0)}, tmp_path / "roc.png"),
        plot_calibration({"m": (np.array([0.2]), np.array([0.3]), 0.1)}, tmp_path / "cal.png"),
        plot_learning_curves(
            {
                "m": [
                    {"stage": "epoch 1", "done": 1, "total": 2, "valid_auc": 0.7},
                    {"stage": "epoch 2", "done": 2, "total": 2, "valid_auc": 0.72},
                ]
            },
            tmp_path / "curves.png",
        ),
    ]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
