"""The promotion gate: every check must pass, each decision carries its reasons."""

from __future__ import annotations

from pipelines.registry.gate import decide


def kt(**kwargs: object):
    base: dict[str, object] = {
        "metric": "test_auc",
        "challenger": {"test_auc": 0.75},
        "champion": {"test_auc": 0.752},
        "validation_passed": True,
        "tolerance": 0.005,
        "floor": 0.6,
        "latency_p99_ms": 2.0,
        "latency_budget_ms": 20.0,
    }
    base.update(kwargs)
    return decide("learnloop-kt", **base)  # type: ignore[arg-type]


def test_challenger_within_tolerance_of_champion_passes() -> None:
    decision = kt()
    assert decision.passed
    assert decision.checks == {"data_validation": True, "offline_metric": True, "latency": True}
    assert "test_auc 0.7500 >= champion 0.7520 - 0.005" in decision.reasons


def test_worse_challenger_fails_with_the_comparison_as_reason() -> None:
    decision = kt(challenger={"test_auc": 0.70})
    assert not decision.passed
    assert decision.checks["offline_metric"] is False
    assert "test_auc 0.7000 < champion 0.7520 - 0.005" in decision.reasons


def test_first_champion_must_clear_the_floor() -> None:
    assert kt(champion=None).passed
    low = kt(champion=None, challenger={"test_auc": 0.55})
    assert not low.passed and "test_auc 0.5500 < first-champion floor 0.6" in low.reasons


def test_latency_over_budget_fails() -> None:
    decision = kt(latency_p99_ms=35.0)
    assert not decision.passed
    assert "latency p99 35.00 ms > budget 20 ms" in decision.reasons


def test_failed_validation_fails_even_with_better_metrics() -> None:
    decision = kt(validation_passed=False, challenger={"test_auc": 0.9})
    assert not decision.passed and "data validation failed" in decision.reasons


def test_undefined_metric_fails() -> None:
    decision = kt(challenger={"test_auc": float("nan")})
    assert not decision.passed and "test_auc of the challenger is undefined" in decision.reasons
