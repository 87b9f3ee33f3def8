"""Proofs with the learner simulator: A/A false-positive rates, A/B power, CUPED, peeking.

Thousands of experiments are re-randomised over one simulated population (see
``pipelines.experiments.validation``); the measured numbers are printed (``pytest -s``).
"""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.experiments.validation import AAResult, ABResult, aa_study, ab_study


@pytest.fixture(scope="module")
def aa(potential_outcomes) -> AAResult:
    result = aa_study(potential_outcomes, n_experiments=2000, n_units=1500)
    print(f"\nA/A: {result}")
    return result


@pytest.fixture(scope="module")
def ab(potential_outcomes) -> ABResult:
    result = ab_study(potential_outcomes, n_experiments=1000, traffic=0.5)
    print(f"\nA/B: {result}")
    return result


def test_aa_false_positive_rate_is_within_alpha(aa: AAResult) -> None:
    band = 3 * aa.sampling_error
    assert abs(aa.fpr_welch - aa.alpha) <= band
    assert abs(aa.fpr_cuped - aa.alpha) <= band


def test_peeking_inflates_fixed_horizon_test_but_not_msprt(aa: AAResult) -> None:
    assert aa.fpr_peeking_naive > aa.alpha + 3 * aa.sampling_error
    assert aa.fpr_peeking_msprt <= aa.alpha + 3 * aa.sampling_error


def test_ab_detects_true_effect_with_expected_power(ab: ABResult) -> None:
    assert ab.true_effect > 0
    assert 0.3 < ab.expected_power_welch < 0.95, "the study must not be trivially over-powered"
    assert (
        abs(ab.power_welch - ab.expected_power_welch) <= ab.power_tolerance(ab.power_welch) + 0.02
    )
    assert (
        abs(ab.power_cuped - ab.expected_power_cuped) <= ab.power_tolerance(ab.power_cuped) + 0.02
    )


def test_ab_confidence_intervals_cover_true_effect(ab: ABResult) -> None:
    band = 3 * np.sqrt(0.05 * 0.95 / ab.n_experiments)
    assert abs(ab.coverage_welch - 0.95) <= band
    assert abs(ab.coverage_cuped - 0.95) <= band


def test_cuped_reduces_variance_by_squared_pre_period_correlation(ab: ABResult) -> None:
    assert ab.squared_correlation > 0.2
    assert ab.variance_reduction == pytest.approx(ab.squared_correlation, abs=0.05)
    assert ab.power_cuped > ab.power_welch + 0.1


def test_msprt_still_detects_the_effect(ab: ABResult) -> None:
    assert ab.power_msprt > 0.1
    assert ab.power_msprt <= ab.power_welch
