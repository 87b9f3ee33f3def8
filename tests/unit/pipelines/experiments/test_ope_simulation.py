"""Off-policy estimates vs the true value of actually running each policy in the simulator."""

from __future__ import annotations

import pytest

from pipelines.experiments.ope_validation import OpeCheck, ope_study


@pytest.fixture(scope="module")
def checks() -> list[OpeCheck]:
    results, logged_value = ope_study(n_learners=6000, seed=3)
    print(f"\nlogged policy value {logged_value:.4f}")
    for check in results:
        estimates = {k: f"{e.value:.4f}±{e.se:.4f}" for k, e in check.estimates.items()}
        print(
            f"{check.policy:>9}: truth {check.true_value:.4f}±{check.true_value_se:.4f} {estimates}"
        )
    return results


@pytest.mark.parametrize("estimator", ["ips", "snips", "dr"])
def test_estimates_agree_with_running_the_policy(checks: list[OpeCheck], estimator: str) -> None:
    for check in checks:
        assert abs(check.z_score(estimator)) < 3.5, (check.policy, estimator)
        est = check.estimates[estimator]
        assert est.effect == pytest.approx(est.value - (check.true_value - check.true_effect))


@pytest.mark.parametrize("estimator", ["snips", "dr"])
def test_estimators_rank_candidates_like_the_truth(checks: list[OpeCheck], estimator: str) -> None:
    truth = sorted(checks, key=lambda c: c.true_value)
    estimated = sorted(checks, key=lambda c: c.estimates[estimator].value)
    assert [c.policy for c in estimated] == [c.policy for c in truth]


def test_snips_and_dr_have_lower_variance_than_ips(checks: list[OpeCheck]) -> None:
    for check in checks:
        ips_se = check.estimates["ips"].se
        assert check.estimates["snips"].se <= ips_se * 1.05
        assert check.estimates["dr"].se <= ips_se * 1.05
