"""PSI and KS behave as drift scores: ~0 for the same distribution, large for a shift."""

from __future__ import annotations

import numpy as np

from pipelines.drift.stats import bin_shares, ks, psi


def test_same_distribution_scores_near_zero() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=20_000), rng.normal(size=20_000)
    assert psi(a, b) < 0.01
    statistic, p_value = ks(a, b)
    assert statistic < 0.03 and p_value > 0.01


def test_shifted_distribution_breaches_the_usual_thresholds() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=5000), rng.normal(loc=0.8, size=5000)
    assert psi(a, b) > 0.2
    assert ks(a, b)[0] > 0.15


def test_psi_grows_with_the_shift() -> None:
    rng = np.random.default_rng(2)
    ref = rng.normal(size=5000)
    scores = [psi(ref, rng.normal(loc=shift, size=5000)) for shift in (0.1, 0.5, 1.0)]
    assert scores == sorted(scores)


def test_binary_feature_uses_one_bin_per_value() -> None:
    ref = np.array([0, 1] * 500)
    cur = np.array([0] * 800 + [1] * 200)
    ref_share, cur_share, edges = bin_shares(ref, cur)
    assert edges.tolist() == [0.5]
    assert ref_share.tolist() == [0.5, 0.5] and cur_share.tolist() == [0.8, 0.2]
    expected = (0.8 - 0.5) * np.log(0.8 / 0.5) + (0.2 - 0.5) * np.log(0.2 / 0.5)
    assert abs(psi(ref, cur) - expected) < 1e-9


def test_empty_samples_give_nan_not_an_error() -> None:
    assert np.isnan(psi([], [1.0, 2.0]))
    assert np.isnan(ks([1.0], [])[0])
