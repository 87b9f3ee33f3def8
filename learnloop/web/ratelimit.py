"""Rate limiting (GCRA token buckets) with a 429 problem and ``Retry-After``.

:class:`MemoryRateLimiter` serves one process; :class:`RedisRateLimiter` shares the buckets
between gateway replicas (one Lua script, Redis server time). A limit of N per minute allows a
burst of N and then one request every 60/N seconds.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from starlette.types import ASGIApp, Receive, Scope, Send

from learnloop.log import request_id_var
from learnloop.web.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, Problem

EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class RateLimiter(Protocol):
    """Take one token from ``key``'s bucket."""

    def hit(self, key: str, per_minute: int) -> float:
        """0 when allowed, else the seconds to wait before the next request is allowed."""


class MemoryRateLimiter:
    """GCRA buckets in a dict (one process); idle keys are dropped as they expire."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._tat: dict[str, float] = {}
        self._lock = threading.Lock()
        self._last_sweep = 0.0

    def hit(self, key: str, per_minute: int) -> float:
        interval = 60.0 / per_minute
        burst = 60.0
        with self._lock:
            now = self.clock()
            if now - self._last_sweep > 60:
                self._tat = {k: v for k, v in self._tat.items() if v > now}
                self._last_sweep = now
            tat = max(self._tat.get(key, now), now)
            allow_at = tat + interval - burst
            if allow_at > now:
                return allow_at - now
            self._tat[key] = tat + interval
            return 0.0


GCRA_SCRIPT = """
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat + interval - burst
if allow_at > now then return allow_at - now end
redis.call('SET', KEYS[1], tat + interval, 'PX', math.ceil(tat + interval - now))
return 0
"""


class RedisRateLimiter:
    """GCRA buckets in Redis, shared by every gateway replica."""

    def __init__(self, client: Any, prefix: str = "learnloop:rl:"):
        self.client = client
        self.prefix = prefix
        self._script = client.register_script(GCRA_SCRIPT)

    def hit(self, key: str, per_minute: int) -> float:
        wait_ms = self._script(keys=[self.prefix + key], args=[int(60_000 / per_minute), 60_000])
        return float(wait_ms) / 1000.0


def too_many_requests(path: str, retry_after: float, request_id: str | None) -> tuple[bytes, int]:
    """Body and whole seconds of a 429 problem."""
    seconds = max(1, math.ceil(retry_after))
    problem = Problem(
        type=PROBLEM_BASE + "rate-limited",
        title="Too Many Requests",
        status=429,
        detail=f"rate limit exceeded; retry after {seconds} s",
        instance=path,
        request_id=request_id,
    )
    return problem.model_dump_json(exclude_none=True).encode(), seconds


class RateLimitMiddleware:
    """Limit requests per key (``key(scope)``; None = not limited here) to ``per_minute``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limiter: RateLimiter,
        key: Callable[[Scope], str | None],
        per_minute: int,
        exempt: frozenset[str] = EXEMPT_PATHS,
    ):
        self.app = app
        self.limiter = limiter
        self.key = key
        self.per_minute = per_minute
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in self.exempt:
            await self.app(scope, receive, send)
            return
        key = self.key(scope)
        wait = self.limiter.hit(key, self.per_minute) if key is not None else 0.0
        if wait <= 0:
            await self.app(scope, receive, send)
            return

        body, seconds = too_many_requests(scope.get("path", ""), wait, request_id_var.get())
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"retry-after", str(seconds).encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
