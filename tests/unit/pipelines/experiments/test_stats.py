"""Fixed-horizon statistics against scipy and known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pipelines.experiments.stats import (
    cuped,
    difference_in_means,
    power_of_test,
    required_sample_size,
    sample_ratio_mismatch,
)


def test_difference_in_means_matches_scipy_welch() -> None:
    rng = np.random.default_rng(0)
    control, treatment = rng.normal(1.0, 2.0, 300), rng.normal(1.4, 1.0, 200)
    effect = difference_in_means(control, treatment, alpha=0.05)
    reference = stats.ttest_ind(treatment, control, equal_var=False)
    ci = reference.confidence_interval(0.95)
    assert float(effect.diff) == pytest.approx(treatment.mean() - control.mean())
    assert float(effect.p_value) == pytest.approx(reference.pvalue)
    assert float(effect.ci_low) == pytest.approx(ci.low)
    assert float(effect.ci_high) == pytest.approx(ci.high)
    assert float(effect.lift) == pytest.approx(effect.diff / control.mean())


def test_difference_in_means_ignores_nan_and_works_per_row() -> None:
    values = np.array([[0.0, 1.0, np.nan, 1.0], [2.0, 2.0, 2.0, 4.0]])
    treatment = np.array([[1.0, 1.0, 1.0, np.nan], [3.0, 3.0, 5.0, 5.0]])
    effect = difference_in_means(values, treatment)
    assert effect.diff.shape == (2,)
    assert effect.n_control.tolist() == [3.0, 4.0]
    assert effect.diff[0] == pytest.approx(1.0 - 2.0 / 3.0)


def test_srm_flags_a_skewed_split_and_passes_a_fair_one() -> None:
    weights = {"control": 0.5, "treatment": 0.5}
    fair = sample_ratio_mismatch({"control": 5010, "treatment": 4990}, weights)
    skewed = sample_ratio_mismatch({"control": 5200, "treatment": 4800}, weights)
    assert not fair.mismatch and fair.p_value > 0.5
    assert skewed.mismatch and skewed.p_value < 1e-4
    assert skewed.statistic == pytest.approx(stats.chisquare([5200, 4800]).statistic)


def test_srm_uses_unequal_weights_and_rejects_unknown_variants() -> None:
    result = sample_ratio_mismatch({"a": 2000, "b": 1000}, {"a": 2, "b": 1})
    assert result.expected == {"a": 2000.0, "b": 1000.0}
    assert not result.mismatch
    with pytest.raises(ValueError, match="unknown variants"):
        sample_ratio_mismatch({"c": 3}, {"a": 1, "b": 1})


def test_cuped_keeps_the_effect_and_shrinks_its_standard_error() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(0, 1, 4000)
    y = 0.9 * x + rng.normal(0, 0.5, 4000)
    y[2000:] += 0.1
    raw = difference_in_means(y[:2000], y[2000:])
    adjusted = cuped(y[:2000], x[:2000], y[2000:], x[2000:])
    assert float(adjusted.effect.diff) == pytest.approx(0.1, abs=0.03)
    assert float(adjusted.effect.se) < 0.6 * float(raw.se)
    rho2 = np.corrcoef(x, y)[0, 1] ** 2
    assert float(adjusted.variance_reduction) == pytest.approx(rho2, abs=0.02)
    assert float(adjusted.theta) == pytest.approx(0.9, abs=0.05)


def test_cuped_leaves_units_without_covariate_unadjusted() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    x = np.array([1.0, np.nan, 3.0, 4.0])
    result = cuped(y[:2], x[:2], y[2:], x[2:])
    assert np.isfinite(result.effect.diff)


def test_sample_size_and_power_are_consistent() -> None:
    n = required_sample_size(1.0, 0.1, alpha=0.05, power=0.8)
    assert n == pytest.approx(1570, abs=2)
    assert power_of_test(0.1, np.sqrt(2 / n)) == pytest.approx(0.8, abs=0.005)
    with pytest.raises(ValueError, match="mde"):
        required_sample_size(1.0, 0.0)
