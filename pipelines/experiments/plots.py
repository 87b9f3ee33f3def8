"""The report's plots, drawn with matplotlib (no pyplot state) and returned as inline SVG."""

from __future__ import annotations

import io
import re
from typing import Any

import numpy as np
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from pipelines.experiments.analysis import EffectSummary, ExperimentAnalysis

COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")
# matplotlib types rcParams keys as literals; this mapping is checked at runtime.
RC: Any = {
    "svg.fonttype": "none",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def svg_text(fig: Figure) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog, no metadata)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    text = re.sub(r"<metadata>.*?</metadata>", "", buffer.getvalue(), flags=re.DOTALL)
    return re.sub(r"^.*?(<svg)", r"\1", text, count=1, flags=re.DOTALL)


def _figure(width: float = 7.0, height: float = 3.2) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def allocation(analysis: ExperimentAnalysis) -> str:
    """Units per variant against the allocation's expectation (the SRM check)."""
    with rc_context(RC):
        fig, ax = _figure(5.0, 2.6)
        names = list(analysis.srm.observed)
        x = np.arange(len(names))
        ax.bar(
            x, list(analysis.srm.observed.values()), color=COLORS[: len(names)], label="observed"
        )
        ax.scatter(
            x,
            list(analysis.srm.expected.values()),
            color="black",
            marker="_",
            s=900,
            label="expected",
            zorder=3,
        )
        ax.set_xticks(x, names)
        ax.set_ylabel("learners")
        ax.set_title(f"Assignment (SRM p = {analysis.srm.p_value:.3g})")
        ax.legend(loc="lower right")
        return svg_text(fig)


def effect_over_time(analysis: ExperimentAnalysis) -> str:
    """Cumulative effect with the fixed-horizon CI and the always-valid confidence sequence."""
    with rc_context(RC):
        fig, ax = _figure()
        for i, series in enumerate(analysis.timeline):
            color = COLORS[(i + 1) % len(COLORS)]
            day = np.array(series.day)
            ax.plot(day, series.diff, color=color, marker="o", ms=3, label=f"{series.variant}")
            ax.fill_between(
                day,
                series.ci_low,
                series.ci_high,
                color=color,
                alpha=0.25,
                label=f"{series.variant}: 95% CI (fixed horizon)",
            )
            low = np.clip(series.cs_low, -1e9, None)
            high = np.clip(series.cs_high, None, 1e9)
            finite = np.isfinite(series.cs_low) & np.isfinite(series.cs_high)
            ax.plot(
                day[finite],
                low[finite],
                color=color,
                ls="--",
                lw=1,
                label=f"{series.variant}: always-valid CI",
            )
            ax.plot(day[finite], high[finite], color=color, ls="--", lw=1)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xlabel("day since start")
        ax.set_ylabel(f"Δ {analysis.experiment.primary_metric} (CUPED)")
        ax.set_title("Effect over time")
        ax.legend(fontsize=7, loc="best")
        return svg_text(fig)


def p_values_over_time(analysis: ExperimentAnalysis) -> str:
    """Fixed-horizon p-value (invalid under peeking) vs the always-valid mSPRT p-value."""
    with rc_context(RC):
        fig, ax = _figure(7.0, 2.6)
        for i, series in enumerate(analysis.timeline):
            color = COLORS[(i + 1) % len(COLORS)]
            ax.plot(
                series.day,
                series.p_value,
                color=color,
                alpha=0.5,
                label=f"{series.variant}: fixed-horizon p",
            )
            ax.plot(
                series.day,
                series.p_always_valid,
                color=color,
                lw=2,
                label=f"{series.variant}: always-valid p (mSPRT)",
            )
        ax.axhline(analysis.experiment.alpha, color="black", ls=":", lw=1, label="α")
        ax.set_yscale("log")
        ax.set_ylim(1e-4, 1.05)
        ax.set_xlabel("day since start")
        ax.set_ylabel("p-value")
        ax.set_title("Peeking-safe significance")
        ax.legend(fontsize=7, loc="lower left")
        return svg_text(fig)


def _forest(
    ax: Axes,
    labels: list[str],
    effects: list[EffectSummary],
    color: str,
    offset: float = 0.0,
    label: str | None = None,
) -> None:
    y = np.arange(len(labels)) + offset
    lift = np.array([e.lift for e in effects]) * 100
    low = np.array([e.lift_ci_low for e in effects]) * 100
    high = np.array([e.lift_ci_high for e in effects]) * 100
    ax.errorbar(
        np.nan_to_num(lift),
        y,
        xerr=[np.nan_to_num(lift - low), np.nan_to_num(high - lift)],
        fmt="o",
        color=color,
        capsize=3,
        label=label,
    )
    ax.set_yticks(np.arange(len(labels)), labels)


def metric_effects(analysis: ExperimentAnalysis) -> str:
    """Relative lift with 95% CIs of every metric, raw and CUPED."""
    with rc_context(RC):
        results = analysis.results
        fig, ax = _figure(7.0, 0.9 + 0.45 * len(results))
        labels = [f"{r.metric} ({r.role}) · {r.variant}" for r in results]
        _forest(ax, labels, [r.raw for r in results], COLORS[0], 0.15, "raw")
        _forest(ax, labels, [r.cuped for r in results], COLORS[1], -0.15, "CUPED")
        ax.axvline(0, color="grey", lw=0.8)
        ax.invert_yaxis()
        ax.set_xlabel("lift vs control (%)")
        ax.set_title("Effects with 95% confidence intervals")
        ax.legend(fontsize=7)
        return svg_text(fig)


def distributions(analysis: ExperimentAnalysis) -> str:
    """Histogram of the learner-level primary metric per variant."""
    with rc_context(RC):
        fig, ax = _figure(7.0, 2.8)
        values = [np.array(v) for v in analysis.distributions.values() if v]
        if values:
            bins = np.histogram_bin_edges(np.concatenate(values), bins=25)
            for i, (name, v) in enumerate(analysis.distributions.items()):
                if not v:
                    continue
                ax.hist(
                    v,
                    bins=bins.tolist(),
                    alpha=0.5,
                    color=COLORS[i % len(COLORS)],
                    density=True,
                    label=f"{name} (n={len(v)}, mean={np.mean(v) if v else np.nan:.3f})",
                )
            ax.legend(fontsize=7)
        ax.set_xlabel(analysis.experiment.primary_metric)
        ax.set_ylabel("density")
        ax.set_title("Distribution per variant")
        return svg_text(fig)


def segments(analysis: ExperimentAnalysis) -> str:
    """Primary-metric lift (CUPED) within each segment."""
    with rc_context(RC):
        rows = analysis.segments
        fig, ax = _figure(7.0, 0.9 + 0.35 * max(len(rows), 1))
        labels = [f"{s.dimension}={s.value} · {s.variant}" for s in rows]
        _forest(ax, labels, [s.effect for s in rows], COLORS[2])
        ax.axvline(0, color="grey", lw=0.8)
        ax.invert_yaxis()
        ax.set_xlabel(f"{analysis.experiment.primary_metric} lift vs control (%)")
        ax.set_title("Per-segment breakdown")
        return svg_text(fig)


PLOTS = {
    "allocation": allocation,
    "effect-over-time": effect_over_time,
    "p-values-over-time": p_values_over_time,
    "metric-effects": metric_effects,
    "distributions": distributions,
    "segments": segments,
}
