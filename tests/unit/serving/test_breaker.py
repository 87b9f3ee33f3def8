from __future__ import annotations

import pytest

from serving.breaker import BreakerState, CircuitBreaker
from serving.metrics import BREAKER_STATE


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def gauge(target: str) -> float:
    return BREAKER_STATE.labels("test", target)._value.get()


def test_opens_after_consecutive_failures_and_closes_after_a_good_trial() -> None:
    clock = Clock()
    breaker = CircuitBreaker("test", "dep", failures=3, reset_s=5.0, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    breaker.record_success()  # a success resets the count
    for _ in range(3):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state is BreakerState.OPEN and gauge("dep") == 2
    assert not breaker.allow()
    clock.now = 5.0
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()  # the one trial
    assert not breaker.allow()  # no second trial while it runs
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED and gauge("dep") == 0
    assert breaker.allow()


def test_a_failed_trial_opens_it_again() -> None:
    clock = Clock()
    breaker = CircuitBreaker("test", "dep2", failures=1, reset_s=2.0, clock=clock)
    breaker.record_failure()
    clock.now = 2.5
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.now = 4.0
    assert not breaker.allow()
    clock.now = 4.6
    assert breaker.allow()
    breaker.release()  # cancelled trial: another may go
    assert breaker.allow()


def test_rejects_nonsense_thresholds() -> None:
    with pytest.raises(ValueError, match="failures must be >= 1"):
        CircuitBreaker("test", "x", failures=0)
