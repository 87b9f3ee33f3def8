"""GCRA rate limits: burst, steady rate, Retry-After."""

from __future__ import annotations

from learnloop.web.ratelimit import MemoryRateLimiter, too_many_requests


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_steady_rate() -> None:
    clock = Clock()
    limiter = MemoryRateLimiter(clock)
    assert all(limiter.hit("k", 6) == 0 for _ in range(6))
    wait = limiter.hit("k", 6)
    assert 9.9 < wait <= 10.0  # one request every 10 s after the burst
    clock.now += wait
    assert limiter.hit("k", 6) == 0
    assert limiter.hit("k", 6) > 0


def test_keys_are_independent() -> None:
    limiter = MemoryRateLimiter(Clock())
    assert limiter.hit("a", 1) == 0
    assert limiter.hit("a", 1) > 0
    assert limiter.hit("b", 1) == 0


def test_problem_body_rounds_retry_after_up() -> None:
    body, seconds = too_many_requests("/x", 0.2, "rid")
    assert seconds == 1
    assert b'"status":429' in body and b"rid" in body
