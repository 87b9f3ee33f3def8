"""Fixed-horizon statistics of an A/B test: SRM check, difference in means, CUPED.

Every estimator works on the last axis of its inputs, so a stack of simulated experiments
(``shape (n_experiments, n_units)``, NaN where a unit is absent) is analysed in one call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

FloatArray = npt.NDArray[np.float64]
ArrayLike = FloatArray | float


@dataclass(frozen=True)
class SampleRatioResult:
    """Chi-square goodness-of-fit test of the observed assignment counts.

    Attributes
    ----------
    observed, expected : dict
        Units per variant and what the allocation weights predict.
    statistic, p_value : float
        Pearson chi-square and its p-value (``df = variants - 1``).
    mismatch : bool
        ``p_value < threshold``: assignment or logging is broken; do not trust the effects.
    """

    observed: dict[str, int]
    expected: dict[str, float]
    statistic: float
    p_value: float
    threshold: float
    mismatch: bool


def sample_ratio_mismatch(
    counts: Mapping[str, int], weights: Mapping[str, float], *, threshold: float = 0.001
) -> SampleRatioResult:
    """Test whether ``counts`` per variant match the allocation ``weights``.

    Parameters
    ----------
    counts : mapping
        Variant -> units observed (exposed).
    weights : mapping
        Variant -> allocation share (normalised here).
    threshold : float
        p-value below which a mismatch is declared (0.001 is the usual, strict choice).
    """
    names = list(weights)
    unknown = sorted(set(counts) - set(names))
    if unknown:
        raise ValueError(f"counts for unknown variants {unknown}; allowed: {names}")
    observed = np.array([counts.get(n, 0) for n in names], dtype=np.float64)
    share = np.array([weights[n] for n in names], dtype=np.float64)
    share = share / share.sum()
    total = observed.sum()
    expected = total * share
    if total == 0:
        statistic, p_value = 0.0, 1.0
    else:
        statistic = float(((observed - expected) ** 2 / expected).sum())
        p_value = float(stats.chi2.sf(statistic, df=len(names) - 1))
    return SampleRatioResult(
        observed={n: int(c) for n, c in zip(names, observed, strict=True)},
        expected={n: float(e) for n, e in zip(names, expected, strict=True)},
        statistic=statistic,
        p_value=p_value,
        threshold=threshold,
        mismatch=p_value < threshold,
    )


@dataclass(frozen=True)
class Moments:
    """Count, mean and unbiased variance along the last axis (NaN ignored)."""

    n: FloatArray
    mean: FloatArray
    var: FloatArray

    @classmethod
    def of(cls, values: FloatArray) -> Moments:
        """Moments of ``values`` along the last axis, ignoring NaN."""
        x = np.asarray(values, dtype=np.float64)
        present = ~np.isnan(x)
        n = present.sum(axis=-1).astype(np.float64)
        filled = np.where(present, x, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = filled.sum(axis=-1) / n
            centred = np.where(present, x - mean[..., None], 0.0)
            var = (centred**2).sum(axis=-1) / (n - 1)
        return cls(n, mean, var)

    @classmethod
    def from_sums(cls, n: FloatArray, total: FloatArray, total_sq: FloatArray) -> Moments:
        """Moments from the count, sum and sum of squares (e.g. cumulative sums at looks)."""
        n = np.asarray(n, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / n
            var = np.maximum(total_sq - total * mean, 0.0) / (n - 1)
        return cls(n, np.asarray(mean, dtype=np.float64), np.asarray(var, dtype=np.float64))


@dataclass(frozen=True)
class Effect:
    """Treatment minus control, with a Welch confidence interval and a relative lift.

    Arrays (shape of the leading axes of the inputs) or 0-d arrays for a single experiment.

    Attributes
    ----------
    diff, se, ci_low, ci_high, p_value : array
        Absolute effect, its standard error, the ``1 - alpha`` CI and the two-sided p-value.
    lift, lift_ci_low, lift_ci_high : array
        Effect relative to the control mean, with a delta-method CI.
    control_mean, treatment_mean, n_control, n_treatment : array
    """

    diff: FloatArray
    se: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    p_value: FloatArray
    lift: FloatArray
    lift_ci_low: FloatArray
    lift_ci_high: FloatArray
    control_mean: FloatArray
    treatment_mean: FloatArray
    n_control: FloatArray
    n_treatment: FloatArray
    alpha: float

    @property
    def significant(self) -> npt.NDArray[np.bool_]:
        """True where the CI excludes zero."""
        return np.asarray(self.p_value < self.alpha)


def effect_from_moments(control: Moments, treatment: Moments, *, alpha: float = 0.05) -> Effect:
    """Welch difference in means (treatment − control) from per-arm moments."""
    with np.errstate(invalid="ignore", divide="ignore"):
        v_c = control.var / control.n
        v_t = treatment.var / treatment.n
        se = np.sqrt(v_c + v_t)
        df = (v_c + v_t) ** 2 / (v_c**2 / (control.n - 1) + v_t**2 / (treatment.n - 1))
        diff = treatment.mean - control.mean
        t_crit = stats.t.ppf(1.0 - alpha / 2.0, df)
        p_value = 2.0 * stats.t.sf(np.abs(diff / se), df)
        lift = diff / control.mean
        # Delta method for (m_t / m_c - 1): var = v_t / m_c^2 + m_t^2 v_c / m_c^4.
        lift_se = np.sqrt(v_t / control.mean**2 + treatment.mean**2 * v_c / control.mean**4)
    return Effect(
        diff=diff,
        se=se,
        ci_low=diff - t_crit * se,
        ci_high=diff + t_crit * se,
        p_value=p_value,
        lift=lift,
        lift_ci_low=lift - t_crit * lift_se,
        lift_ci_high=lift + t_crit * lift_se,
        control_mean=control.mean,
        treatment_mean=treatment.mean,
        n_control=control.n,
        n_treatment=treatment.n,
        alpha=alpha,
    )


def difference_in_means(
    control: FloatArray, treatment: FloatArray, *, alpha: float = 0.05
) -> Effect:
    """Welch difference in means of unit-level outcomes (last axis; NaN = absent unit).

    Parameters
    ----------
    control, treatment : array
        Outcomes per unit; leading axes index independent experiments.
    alpha : float
        1 − confidence level of the intervals.

    Examples
    --------
    >>> import numpy as np
    >>> e = difference_in_means(np.array([0.0, 1, 0, 1]), np.array([1.0, 1, 1, 0]))
    >>> float(e.diff)
    0.25
    """
    return effect_from_moments(Moments.of(control), Moments.of(treatment), alpha=alpha)


@dataclass(frozen=True)
class CupedResult:
    """CUPED-adjusted effect plus how much variance the covariate removed.

    Attributes
    ----------
    effect : Effect
        Difference in means of the adjusted outcome ``y - theta (x - mean(x))``.
    theta : array
        Pooled regression slope of ``y`` on ``x``.
    variance_reduction : array
        ``1 - var(adjusted) / var(y)`` (about the squared correlation of ``x`` and ``y``).
    """

    effect: Effect
    theta: FloatArray
    variance_reduction: FloatArray


def cuped_adjust(
    y: FloatArray, x: FloatArray, mask: npt.NDArray[np.bool_] | None = None
) -> tuple[FloatArray, FloatArray]:
    """``y - theta (x - mean(x))`` with ``theta = cov(x, y) / var(x)`` over units in ``mask``.

    Missing covariates (NaN) are replaced by the covariate mean, i.e. not adjusted.
    Returns ``(adjusted, theta)``; works along the last axis.
    """
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    use = ~np.isnan(y) if mask is None else (mask & ~np.isnan(y))
    x_use = use & ~np.isnan(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        x_mean = np.where(x_use, x, 0.0).sum(-1) / x_use.sum(-1)
        y_mean = np.where(x_use, y, 0.0).sum(-1) / x_use.sum(-1)
        dx = np.where(x_use, x - x_mean[..., None], 0.0)
        dy = np.where(x_use, y - y_mean[..., None], 0.0)
        theta = (dx * dy).sum(-1) / (dx * dx).sum(-1)
    theta = np.where(np.isfinite(theta), theta, 0.0)
    centred_x = np.where(np.isnan(x), 0.0, x - x_mean[..., None])
    adjusted = np.where(use, y - theta[..., None] * centred_x, np.nan)
    return adjusted, theta


def cuped(
    control_y: FloatArray,
    control_x: FloatArray,
    treatment_y: FloatArray,
    treatment_x: FloatArray,
    *,
    alpha: float = 0.05,
) -> CupedResult:
    """CUPED (Deng et al. 2013): difference in means after removing the pre-period covariate.

    ``theta`` is estimated on both arms pooled, so the adjustment does not bias the effect.
    """
    y = np.concatenate([control_y, treatment_y], axis=-1)
    x = np.concatenate([control_x, treatment_x], axis=-1)
    adjusted, theta = cuped_adjust(y, x)
    n_c = np.shape(control_y)[-1]
    effect = difference_in_means(adjusted[..., :n_c], adjusted[..., n_c:], alpha=alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        reduction = 1.0 - np.nanvar(adjusted, axis=-1) / np.nanvar(y, axis=-1)
    return CupedResult(effect=effect, theta=theta, variance_reduction=reduction)


def required_sample_size(sd: float, mde: float, *, alpha: float = 0.05, power: float = 0.8) -> int:
    """Units per arm (two equal arms) to detect an absolute effect ``mde`` with ``power``."""
    if sd <= 0 or mde <= 0:
        raise ValueError(f"sd={sd!r} and mde={mde!r} must both be > 0")
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return int(np.ceil(2 * (z * sd / mde) ** 2))


def power_of_test(effect: float, se: float, *, alpha: float = 0.05) -> float:
    """Power of a two-sided z-test of a true ``effect`` measured with standard error ``se``."""
    z = stats.norm.ppf(1 - alpha / 2)
    shift = abs(effect) / se
    return float(stats.norm.sf(z - shift) + stats.norm.cdf(-z - shift))
