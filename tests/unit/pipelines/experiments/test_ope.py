"""Off-policy estimators on small known cases and input checks."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.experiments.ope import doubly_robust, evaluate_policy, ips, snips


def test_on_policy_estimates_equal_the_logged_mean() -> None:
    rng = np.random.default_rng(0)
    r = rng.random(500)
    p = rng.uniform(0.1, 1.0, 500)
    for estimate in evaluate_policy(r, p, p, q_logged=r * 0, q_target=r * 0).values():
        assert estimate.value == pytest.approx(r.mean())
        assert estimate.effect == pytest.approx(0.0, abs=1e-12)


def test_ips_reweights_and_snips_normalises() -> None:
    r = np.array([1.0, 0.0, 1.0, 0.0])
    p = np.array([0.5, 0.5, 0.25, 0.25])
    pi = np.array([1.0, 0.0, 0.0, 1.0])
    assert ips(r, p, pi).value == pytest.approx((2.0 * 1 + 0 + 0 + 4.0 * 0) / 4)
    assert snips(r, p, pi).value == pytest.approx(2.0 / 6.0)
    assert ips(r, p, pi).effective_sample_size == pytest.approx(36 / 20)


def test_doubly_robust_is_exact_with_a_perfect_reward_model() -> None:
    rng = np.random.default_rng(2)
    truth = rng.random(1000)
    p = rng.uniform(0.2, 0.8, 1000)
    pi = rng.uniform(0, 1, 1000)
    dr = doubly_robust(truth, p, pi, q_logged=truth, q_target=truth * 0 + 0.3)
    assert dr.value == pytest.approx(0.3)
    assert dr.se == pytest.approx(0.0, abs=1e-12)


def test_bad_inputs_name_the_problem() -> None:
    with pytest.raises(ValueError, match=r"propensity 0\.0 at row 1"):
        ips(np.ones(2), np.array([0.5, 0.0]), np.ones(2))
    with pytest.raises(ValueError, match="equal length"):
        ips(np.ones(2), np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="no logged"):
        ips(np.array([]), np.array([]), np.array([]))
    with pytest.raises(ValueError, match="never takes"):
        snips(np.ones(2), np.ones(2), np.zeros(2))
