"""mSPRT: the likelihood ratio, always-valid p-values and confidence sequences."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pipelines.experiments.sequential import default_tau, msprt, msprt_log_lr


def test_log_lr_matches_the_normal_mixture_integral() -> None:
    diff, var, tau = 0.3, 0.04, 0.2
    thetas = np.linspace(-3, 3, 20001)
    mixture = stats.norm.pdf(diff, thetas, np.sqrt(var)) * stats.norm.pdf(thetas, 0, tau)
    integral = np.trapezoid(mixture, thetas) / stats.norm.pdf(diff, 0, np.sqrt(var))
    assert float(msprt_log_lr(np.array(diff), np.array(var), tau)) == pytest.approx(
        np.log(integral), rel=1e-4
    )


def test_p_values_never_increase_and_rejection_sticks() -> None:
    diff = np.array([0.5, 0.1, 0.4, 0.0, 0.05])
    var = np.array([0.04, 0.02, 0.01, 0.005, 0.004])
    result = msprt(diff, var, tau=0.2, alpha=0.05)
    assert np.all(np.diff(result.p_value) <= 0)
    assert result.rejected.tolist() == [False, False, True, True, True]
    assert int(result.first_rejection) == 2
    assert np.all(result.ci_low <= result.ci_high)
    # The confidence sequence excludes 0 exactly when the test rejects.
    assert (result.ci_low[2] > 0) or (result.ci_high[2] < 0)


def test_looks_without_data_do_not_reject() -> None:
    result = msprt(np.array([np.nan, 0.1]), np.array([np.nan, 1.0]), tau=0.1)
    assert result.p_value[0] == 1.0
    assert not result.rejected.any()


def test_tau_must_be_positive_and_default_tau_scales_with_n() -> None:
    with pytest.raises(ValueError, match="tau"):
        msprt(np.array([0.1]), np.array([0.1]), tau=0.0)
    assert default_tau(1.0, 200) > default_tau(1.0, 800)
    assert default_tau(float("nan"), 10) == 1.0
