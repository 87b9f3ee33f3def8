"""Member selection of the KT benchmark's stacked model."""

from __future__ import annotations

import numpy as np

from benchmarks.kt_support.stacking import forward_select


def _members(seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    n = 4000
    y = rng.integers(0, 2, n)
    half = np.arange(n) < n // 2
    sharp = np.where(y == 1, 0.9, 0.1)
    return {
        "first_half": np.where(half, sharp, 0.5),  # knows the first half of the rows only
        "second_half": np.where(half, 0.5, sharp),
        "noise": rng.uniform(0.05, 0.95, n),
        "slow": np.where(y == 1, 0.99, 0.01),  # perfect, but over the latency budget
    }, y


def test_selection_keeps_complementary_members_within_budget() -> None:
    probs, y = _members()
    latency = {"first_half": 1.0, "second_half": 1.0, "noise": 0.1, "slow": 9.0}
    chosen = forward_select(probs, y, latency, budget_ms=5.0)
    assert sorted(chosen.members) == ["first_half", "second_half"]
    assert chosen.over_budget == ["slow"]
    assert chosen.valid_auc[1] > chosen.valid_auc[0] + 0.1
    assert chosen.latency_ms == 2.0


def test_budget_stops_additions_that_would_not_fit() -> None:
    probs, y = _members()
    latency = {"first_half": 3.0, "second_half": 3.0, "noise": 0.1, "slow": 9.0}
    chosen = forward_select(probs, y, latency, budget_ms=5.0)
    assert chosen.members[0] in ("first_half", "second_half")
    assert not {"first_half", "second_half"} <= set(chosen.members)
    assert chosen.latency_ms <= 5.0


def test_a_slow_best_single_member_does_not_crowd_out_a_better_cheap_pair() -> None:
    """``broad`` alone beats either half, but leaves no room beside it; the two halves together
    beat it, so the selection started from a half wins."""
    probs, y = _members()
    n = len(y)
    sharp = np.where(y == 1, 0.9, 0.1)
    probs["broad"] = np.where(np.arange(n) < 0.7 * n, sharp, 0.5)  # knows 70 % of the rows
    latency = {"first_half": 1.0, "second_half": 1.0, "noise": 0.1, "slow": 9.0, "broad": 4.5}
    chosen = forward_select(probs, y, latency, budget_ms=5.0)
    assert sorted(chosen.members) == ["first_half", "second_half"]
    alone = forward_select({"broad": probs["broad"]}, y, {"broad": 4.5}, budget_ms=5.0)
    assert chosen.valid_auc[-1] > alone.valid_auc[-1] + 0.03
