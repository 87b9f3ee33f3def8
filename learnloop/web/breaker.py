"""A circuit breaker: stop calling a dependency that keeps failing, probe it now and then.

``closed`` (calls flow) → after ``failures`` consecutive failures → ``open`` (calls refused at
once, so the caller falls back without waiting for timeouts) → after ``reset_s`` → ``half_open``
(one trial call at a time) → ``closed`` on success, ``open`` again on failure. Thread-safe;
the state is exported as ``learnloop_circuit_breaker_state``. A leaf module: serving (RES, LPS)
and the gateway share it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import IntEnum

from prometheus_client import Counter, Gauge

BREAKER_STATE = Gauge(
    "learnloop_circuit_breaker_state",
    "Circuit breaker state: 0 closed, 1 half-open, 2 open.",
    ["service", "target"],
    multiprocess_mode="livemax",
)
BREAKER_TRANSITIONS = Counter(
    "learnloop_circuit_breaker_transitions_total",
    "Circuit breaker state changes by the state entered.",
    ["service", "target", "state"],
)


class BreakerState(IntEnum):
    """Exported as the gauge value."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class CircuitBreaker:
    """Consecutive-failure breaker for calls from ``service`` to ``target``."""

    def __init__(
        self,
        service: str,
        target: str,
        *,
        failures: int = 5,
        reset_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failures < 1 or reset_s <= 0:
            raise ValueError(f"failures must be >= 1 and reset_s > 0, got {failures}, {reset_s}")
        self.service = service
        self.target = target
        self.failures = failures
        self.reset_s = reset_s
        self.clock = clock
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._consecutive = 0
        self._opened_at = 0.0
        self._trial_running = False
        BREAKER_STATE.labels(service, target).set(0)

    @property
    def state(self) -> BreakerState:
        """Current state (an open breaker past ``reset_s`` reports half-open)."""
        with self._lock:
            if self._state is BreakerState.OPEN and self._cooled_down():
                return BreakerState.HALF_OPEN
            return self._state

    def allow(self) -> bool:
        """Whether a call may go out now (in half-open, only one trial at a time)."""
        with self._lock:
            if self._state is BreakerState.CLOSED:
                return True
            if self._state is BreakerState.OPEN:
                if not self._cooled_down():
                    return False
                self._set(BreakerState.HALF_OPEN)
            if self._trial_running:
                return False
            self._trial_running = True
            return True

    def record_success(self) -> None:
        """A call succeeded: close the breaker."""
        with self._lock:
            self._consecutive = 0
            self._trial_running = False
            if self._state is not BreakerState.CLOSED:
                self._set(BreakerState.CLOSED)

    def record_failure(self) -> None:
        """A call failed: open after ``failures`` in a row (or at once when half-open)."""
        with self._lock:
            self._consecutive += 1
            self._trial_running = False
            if self._state is BreakerState.HALF_OPEN or self._consecutive >= self.failures:
                self._opened_at = self.clock()
                if self._state is not BreakerState.OPEN:
                    self._set(BreakerState.OPEN)

    def release(self) -> None:
        """A trial call ended without a verdict (e.g. cancelled): let another one through."""
        with self._lock:
            self._trial_running = False

    def _cooled_down(self) -> bool:
        return self.clock() - self._opened_at >= self.reset_s

    def _set(self, state: BreakerState) -> None:
        self._state = state
        BREAKER_STATE.labels(self.service, self.target).set(int(state))
        BREAKER_TRANSITIONS.labels(self.service, self.target, state.name.lower()).inc()
