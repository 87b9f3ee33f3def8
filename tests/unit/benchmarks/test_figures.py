"""Benchmark figures: valid SVG, the same bytes for the same results, every row drawn."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from benchmarks.figures import kt_figure, path_figure

POLICIES = {
    "curriculum": {"gain_mean": 0.16, "gain_ci95": 0.01, "per_seed": [0.15, 0.17]},
    "ours": {"gain_mean": 0.21, "gain_ci95": 0.02, "per_seed": [0.2, 0.22]},
    "oracle": {"gain_mean": 0.23, "gain_ci95": 0.02, "per_seed": [0.22, 0.24]},
}
TARGETS = {"gain_ratio_vs_curriculum": 1.3, "gain_ratio_vs_oracle": 0.8}
KT = {
    "statics": [
        {"model": "bkt", "source": "ours", "auc": 0.785, "auc_std": 0.007},
        {"model": "bkt", "source": "pybkt", "auc": 0.594, "auc_std": 0.0},
        {"model": "dkt", "source": "ours", "auc": 0.822, "auc_std": 0.004},
        {"model": "dkt", "source": "published", "auc": 0.8233, "auc_std": None},
        {"model": "dkt", "source": "pykt", "auc": 0.8259, "auc_std": 0.0},
    ]
}


def _texts(svg: str) -> str:
    root = ET.fromstring(svg)
    return " ".join(t for node in root.iter() for t in (node.text or "").split())


def test_path_figure_is_reproducible_svg_naming_every_policy_and_target() -> None:
    svg = path_figure(POLICIES, ours="ours", targets=TARGETS)
    assert svg == path_figure(POLICIES, ours="ours", targets=TARGETS)
    text = _texts(svg)
    assert all(name in text for name in POLICIES)
    assert "1.3× curriculum" in text and "0.8× oracle" in text


def test_kt_figure_draws_a_far_reference_at_the_edge_with_its_value() -> None:
    svg = kt_figure(KT)
    assert svg == kt_figure(KT)
    text = _texts(svg)
    assert "statics" in text and "bkt" in text and "dkt" in text
    assert "pybkt 0.594" in text  # squeezed to the axis edge, value written out
    assert "pykt" not in text  # within the range: an ordinary marker


def test_kt_figure_leaves_out_datasets_without_a_run_of_ours() -> None:
    partial = KT | {"assist2015": [{"model": "dkt", "source": "published", "auc": 0.731}]}
    text = _texts(kt_figure(partial))
    assert "statics" in text and "assist2015" not in text
    with pytest.raises(ValueError, match="no run of ours"):
        kt_figure({"assist2015": partial["assist2015"]})
