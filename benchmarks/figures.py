"""SVG figures of the benchmark results, written beside their markdown tables.

Drawn with matplotlib's object API (no pyplot state) and a fixed SVG id salt, so the same
results give the same bytes and a rerun's diff shows only what changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure

from pipelines.experiments.plots import COLORS, RC, svg_text

BENCH_RC: Any = {**RC, "svg.hashsalt": "learnloop-benchmarks"}


def path_figure(
    policies: Mapping[str, Mapping[str, Any]],
    *,
    ours: str,
    targets: Mapping[str, float],
) -> str:
    """Learning gain per policy: mean with its 95 % interval, one dot per seed, and the two gain
    targets (``gain_ratio_vs_curriculum`` × curriculum, ``gain_ratio_vs_oracle`` × oracle)."""
    names = list(policies)
    with rc_context(BENCH_RC):
        fig = Figure(figsize=(7.0, 0.45 * len(names) + 1.2), layout="constrained")
        ax = fig.add_subplot()
        y = np.arange(len(names))[::-1]
        for row, name in zip(y, names, strict=True):
            data = policies[name]
            color = COLORS[0] if name == ours else "#8c8c8c"
            ax.barh(row, data["gain_mean"], color=color, alpha=0.35, height=0.6)
            ax.errorbar(
                data["gain_mean"], row, xerr=data["gain_ci95"], fmt="o", color=color, capsize=3
            )
            seeds = data.get("per_seed", [])
            ax.scatter(seeds, np.full(len(seeds), row + 0.22), s=8, color=color, zorder=3)
        lines = (
            ("curriculum", "gain_ratio_vs_curriculum", COLORS[1]),
            ("oracle", "gain_ratio_vs_oracle", COLORS[3]),
        )
        for base, key, color in lines:
            if base in policies and key in targets:
                level = targets[key] * policies[base]["gain_mean"]
                ax.axvline(
                    level, color=color, ls="--", lw=1, label=f"target: {targets[key]:g}× {base}"
                )
        ax.set_yticks(y, names)
        ax.set_xlabel("learning gain: mean ± 95 % CI over seeds (dots: one seed each)")
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, frameon=False)
        return svg_text(fig)


def kt_datasets(table: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[str]:
    """The datasets :func:`kt_figure` draws: those with a run of ours (a partial ``--quick``
    cache may have none for some)."""
    return [d for d, rows in table.items() if any(r["source"] == "ours" for r in rows)]


def kt_figure(table: Mapping[str, Sequence[Mapping[str, Any]]]) -> str:
    """Test AUC per model and dataset: ours (mean ± std over folds), the published number and
    the reference implementation's, where there is one; only :func:`kt_datasets`."""
    datasets = kt_datasets(table)
    if not datasets:
        raise ValueError("no run of ours to plot yet")
    with rc_context(BENCH_RC):
        fig = Figure(figsize=(4.0 * len(datasets), 3.6), layout="constrained")
        axes = fig.subplots(1, len(datasets), sharey=False, squeeze=False)[0]
        for ax, dataset in zip(axes, datasets, strict=True):
            rows = table[dataset]
            models = list(dict.fromkeys(r["model"] for r in rows if r["source"] == "ours"))
            y = {m: i for i, m in enumerate(reversed(models))}
            shown = [r for r in rows if r["model"] in y]
            # a reference far below every other number would squeeze the rest: it is drawn at
            # the left edge, its value written beside it
            low = min(r["auc"] for r in shown if r["source"] in ("ours", "published")) - 0.015
            for r in shown:
                row = y[r["model"]]
                if r["source"] not in ("ours", "published") and r["auc"] < low:
                    ax.scatter(low, row, marker="<", color=COLORS[2], label="reference")
                    ax.annotate(
                        f"{r['source']} {r['auc']:.3f}", (low, row), xytext=(2, -11),
                        textcoords="offset points", fontsize=7, color=COLORS[2],
                    )  # fmt: skip
                    continue
                if r["source"] == "ours":
                    ax.errorbar(
                        r["auc"], row, xerr=r.get("auc_std") or 0.0, fmt="o", color=COLORS[0],
                        capsize=3, label="ours",
                    )  # fmt: skip
                elif r["source"] == "published":
                    ax.scatter(
                        r["auc"], row, marker="D", facecolors="none", edgecolors=COLORS[3],
                        label="published",
                    )  # fmt: skip
                else:
                    ax.scatter(r["auc"], row, marker="x", color=COLORS[2], label="reference")
            ax.set_yticks(list(y.values()), list(y))
            ax.set_xlim(left=low - 0.005)
            ax.set_title(dataset)
            ax.set_xlabel("test AUC")
            ax.grid(axis="x", alpha=0.3)
            handles, labels = ax.get_legend_handles_labels()
            unique = dict(zip(labels, handles, strict=True))
            ax.legend(unique.values(), unique.keys(), loc="lower left", fontsize=7)
        return svg_text(fig)
