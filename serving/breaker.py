"""The circuit breaker lives in the leaf module :mod:`learnloop.web.breaker` (shared with the
gateway); re-exported here for serving code."""

from __future__ import annotations

from learnloop.web.breaker import BreakerState, CircuitBreaker

__all__ = ["BreakerState", "CircuitBreaker"]
