"""Analyse an experiment: SRM, effects with CIs (raw and CUPED), guardrails, segments, time.

:func:`analyze` turns :class:`~pipelines.experiments.data.ExperimentData` into an
:class:`ExperimentAnalysis` (plain numbers, JSON-serialisable with :func:`to_dict`), which the
HTML report renders. Every non-control variant is compared with the control.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from pipelines.experiments.data import ExperimentData
from pipelines.experiments.definitions import Experiment, Guardrail
from pipelines.experiments.metrics import METRICS
from pipelines.experiments.sequential import default_tau, msprt
from pipelines.experiments.stats import (
    Effect,
    FloatArray,
    Moments,
    SampleRatioResult,
    cuped,
    cuped_adjust,
    difference_in_means,
    effect_from_moments,
    sample_ratio_mismatch,
)

Verdict = Literal["pass", "fail", "inconclusive"]


@dataclass(frozen=True)
class EffectSummary:
    """One comparison's numbers (floats; NaN when a side has too little data)."""

    diff: float
    ci_low: float
    ci_high: float
    p_value: float
    lift: float
    lift_ci_low: float
    lift_ci_high: float
    control_mean: float
    treatment_mean: float
    n_control: int
    n_treatment: int
    significant: bool

    @classmethod
    def of(cls, effect: Effect) -> EffectSummary:
        """Scalars of a single-experiment :class:`Effect`."""
        value: dict[str, Any] = {
            f.name: float(getattr(effect, f.name)) for f in dataclasses.fields(cls)
        }
        value["n_control"] = int(value["n_control"])
        value["n_treatment"] = int(value["n_treatment"])
        value["significant"] = bool(effect.significant)
        return cls(**value)


@dataclass(frozen=True)
class MetricResult:
    """A metric compared between one treatment variant and the control."""

    metric: str
    role: Literal["primary", "secondary", "guardrail"]
    variant: str
    raw: EffectSummary
    cuped: EffectSummary
    variance_reduction: float
    guardrail: Verdict | None = None


@dataclass(frozen=True)
class SegmentResult:
    """The primary metric (CUPED) within one segment."""

    dimension: str
    value: str
    variant: str
    effect: EffectSummary


@dataclass(frozen=True)
class TimeSeries:
    """Cumulative primary-metric effect of one variant after each day."""

    variant: str
    day: list[int]
    n: list[int]
    diff: list[float]
    ci_low: list[float]
    ci_high: list[float]
    p_value: list[float]
    cs_low: list[float]
    cs_high: list[float]
    p_always_valid: list[float]
    tau: float


@dataclass(frozen=True)
class ExperimentAnalysis:
    """Everything the report shows."""

    experiment: Experiment
    generated_at: datetime
    window_start: datetime
    window_end: datetime
    srm: SampleRatioResult
    conflicts: int
    results: list[MetricResult]
    segments: list[SegmentResult]
    timeline: list[TimeSeries]
    distributions: dict[str, list[float]] = field(default_factory=dict)

    @property
    def primary(self) -> list[MetricResult]:
        """Primary-metric results, one per treatment variant."""
        return [r for r in self.results if r.role == "primary"]

    def summary(self) -> list[str]:
        """One sentence per finding, for the top of the report and the CLI."""
        lines = []
        if self.srm.mismatch:
            lines.append(
                f"Sample ratio mismatch (p = {self.srm.p_value:.2g}): assignment or logging is "
                "broken; do not trust the effects below."
            )
        for r in self.primary:
            e = r.cuped
            if not np.isfinite(e.lift):
                lines.append(f"{r.variant} vs {self.experiment.control}: not enough data yet.")
                continue
            verdict = "significant" if e.significant else "not significant"
            lines.append(
                f"{r.variant} vs {self.experiment.control}: {r.metric} {e.lift:+.2%} "
                f"(95% CI {e.lift_ci_low:+.2%} to {e.lift_ci_high:+.2%}, CUPED), {verdict}."
            )
        failed = [r for r in self.results if r.guardrail == "fail"]
        for r in failed:
            lines.append(f"Guardrail {r.metric} failed for {r.variant}.")
        if not failed and any(r.guardrail for r in self.results):
            lines.append("No guardrail failed.")
        return lines


def metric_values(
    sums: pd.DataFrame, metric: str, learners: pd.Index, *, fill_inactive: bool = True
) -> FloatArray:
    """Learner-level value of ``metric`` from ``<metric>__num/__den`` sums, aligned to ``learners``.

    Ratio metrics are NaN for learners without a denominator; count metrics are 0 for learners
    without rows when ``fill_inactive`` (else NaN).
    """
    num = sums.groupby("learner_id")[f"{metric}__num"].sum().reindex(learners)
    if METRICS[metric].is_ratio:
        den = sums.groupby("learner_id")[f"{metric}__den"].sum().reindex(learners)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(num / den.where(den > 0), dtype=np.float64)
    filled = num.fillna(0.0) if fill_inactive else num
    return np.asarray(filled, dtype=np.float64)


def guardrail_verdict(summary: EffectSummary, guardrail: Guardrail) -> Verdict:
    """``fail`` if confidently worse than the tolerance, ``pass`` if non-inferiority is shown.

    Works on the relative lift: "worse" is a decrease for ``direction="increase"`` metrics
    and an increase otherwise.
    """
    sign = 1.0 if guardrail.direction == "increase" else -1.0
    bounds = sorted((sign * summary.lift_ci_low, sign * summary.lift_ci_high))
    worst, best = bounds
    if not np.isfinite(worst):
        return "inconclusive"
    if best < -guardrail.tolerance or (best < 0 and sign * summary.lift < -guardrail.tolerance):
        return "fail"
    if worst >= -guardrail.tolerance:
        return "pass"
    return "inconclusive"


def _compare(
    y: FloatArray, x: FloatArray, control: np.ndarray, treated: np.ndarray, alpha: float
) -> tuple[EffectSummary, EffectSummary, float]:
    raw = difference_in_means(y[control], y[treated], alpha=alpha)
    adjusted = cuped(y[control], x[control], y[treated], x[treated], alpha=alpha)
    reduction = float(adjusted.variance_reduction)
    return EffectSummary.of(raw), EffectSummary.of(adjusted.effect), reduction


def _timeline(
    data: ExperimentData, experiment: Experiment, variant: str, metric: str, x: FloatArray
) -> TimeSeries:
    """CUPED-adjusted cumulative effect after each day, with the mSPRT over the days."""
    units = data.units
    learners = pd.Index(units["learner_id"])
    days = data.n_days
    num = (
        data.daily.pivot_table(
            index="learner_id", columns="day", values=f"{metric}__num", aggfunc="sum"
        )
        .reindex(index=learners, columns=range(days))
        .fillna(0.0)
        .cumsum(axis=1)
        .to_numpy()
    )
    if METRICS[metric].is_ratio:
        den = (
            data.daily.pivot_table(
                index="learner_id", columns="day", values=f"{metric}__den", aggfunc="sum"
            )
            .reindex(index=learners, columns=range(days))
            .fillna(0.0)
            .cumsum(axis=1)
            .to_numpy()
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            values = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    else:
        values = num
    exposed = units["exposure_day"].to_numpy()[:, None] <= np.arange(days)[None, :]
    values = np.where(exposed, values, np.nan).T  # (days, learners)
    values, _ = cuped_adjust(values, np.broadcast_to(x, values.shape))
    is_control = (units["variant"] == experiment.control).to_numpy()
    is_variant = (units["variant"] == variant).to_numpy()
    effect = effect_from_moments(
        Moments.of(values[:, is_control]),
        Moments.of(values[:, is_variant]),
        alpha=experiment.alpha,
    )
    final_sd = float(np.nanstd(values[-1, is_control]))
    tau = default_tau(final_sd, float(min(is_control.sum(), is_variant.sum())))
    seq = msprt(effect.diff, effect.se**2, tau=tau, alpha=experiment.alpha)

    def floats(a: FloatArray) -> list[float]:
        return [float(v) for v in np.asarray(a, dtype=np.float64)]

    return TimeSeries(
        variant=variant,
        day=list(range(days)),
        n=[int(v) for v in (effect.n_control + effect.n_treatment)],
        diff=floats(effect.diff),
        ci_low=floats(effect.ci_low),
        ci_high=floats(effect.ci_high),
        p_value=floats(effect.p_value),
        cs_low=floats(seq.ci_low),
        cs_high=floats(seq.ci_high),
        p_always_valid=floats(seq.p_value),
        tau=tau,
    )


def analyze(
    experiment: Experiment, data: ExperimentData, *, now: datetime | None = None
) -> ExperimentAnalysis:
    """Full analysis of ``experiment`` on ``data`` (see the module docstring)."""
    units = data.units
    learners = pd.Index(units["learner_id"])
    counts = units["variant"].value_counts().to_dict()
    weights = experiment.weights
    srm = sample_ratio_mismatch(
        {v: int(counts.get(v, 0)) for v in weights},
        weights,
        threshold=experiment.srm_threshold,
    )
    variant = units["variant"].to_numpy()
    control = variant == experiment.control
    guardrails = {g.metric: g for g in experiment.guardrails}
    results, segments, timeline = [], [], []
    distributions = {}
    primary_y = metric_values(data.daily, experiment.primary_metric, learners)
    primary_x = metric_values(data.pre, experiment.primary_metric, learners, fill_inactive=False)
    for name in weights:
        distributions[name] = [float(v) for v in primary_y[variant == name] if np.isfinite(v)]
    for treatment in list(weights)[1:]:
        treated = variant == treatment
        for metric in experiment.metrics:
            y = metric_values(data.daily, metric, learners)
            x = metric_values(data.pre, metric, learners, fill_inactive=False)
            raw, adjusted, reduction = _compare(y, x, control, treated, experiment.alpha)
            role: Literal["primary", "secondary", "guardrail"] = (
                "primary"
                if metric == experiment.primary_metric
                else "guardrail"
                if metric in guardrails and metric not in experiment.secondary_metrics
                else "secondary"
            )
            verdict = (
                guardrail_verdict(adjusted, guardrails[metric]) if metric in guardrails else None
            )
            results.append(MetricResult(metric, role, treatment, raw, adjusted, reduction, verdict))
        for dimension in experiment.segments:
            for value, rows in units.groupby(dimension).indices.items():
                mask = np.zeros(len(units), dtype=bool)
                mask[rows] = True
                _, adjusted, _ = _compare(
                    primary_y, primary_x, control & mask, treated & mask, experiment.alpha
                )
                segments.append(SegmentResult(dimension, str(value), treatment, adjusted))
        timeline.append(
            _timeline(data, experiment, treatment, experiment.primary_metric, primary_x)
        )
    return ExperimentAnalysis(
        experiment=experiment,
        generated_at=now or datetime.now(UTC),
        window_start=data.start,
        window_end=data.end,
        srm=srm,
        conflicts=data.conflicts,
        results=results,
        segments=segments,
        timeline=timeline,
        distributions=distributions,
    )


def to_dict(analysis: ExperimentAnalysis) -> dict[str, Any]:
    """JSON-ready form of an analysis (NaN becomes None)."""

    def clean(value: Any) -> Any:
        if isinstance(value, float) and not np.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        if isinstance(value, datetime):
            return value.isoformat()
        return value

    out = {f.name: getattr(analysis, f.name) for f in dataclasses.fields(analysis)}
    out["experiment"] = analysis.experiment.model_dump(mode="json")
    for key in ("srm", "results", "segments", "timeline"):
        value = out[key]
        out[key] = (
            [dataclasses.asdict(v) for v in value]
            if isinstance(value, list)
            else dataclasses.asdict(value)
        )
    out["summary"] = analysis.summary()
    result: dict[str, Any] = clean(out)
    return result
