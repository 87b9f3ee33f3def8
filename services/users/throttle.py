"""Failed-login throttle shared by every identity replica through Redis.

Same contract as :class:`services.users.service.FailureThrottle` (``check``/``fail``/``clear``):
at most ``limit`` failures per key in a window of ``window_s`` seconds that starts at the first
failure; while over the limit, logins answer 429 with ``Retry-After`` (the window's remaining
time). Chosen when ``rate_limit.backend`` is ``redis``.
"""

from __future__ import annotations

from typing import Any

from services.common.errors import TooManyRequestsError

FAIL_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class RedisFailureThrottle:
    """Failure counters in Redis (one key per e-mail/client, expiring with the window)."""

    def __init__(
        self, client: Any, limit: int, window_s: int = 900, prefix: str = "learnloop:login:"
    ):
        self.client = client
        self.limit = limit
        self.window_s = window_s
        self.prefix = prefix
        self._fail = client.register_script(FAIL_SCRIPT)

    def check(self, key: str) -> None:
        """Raise 429 while ``key`` has too many recent failures."""
        failures = int(self.client.get(self.prefix + key) or 0)
        if failures >= self.limit:
            ttl = int(self.client.ttl(self.prefix + key))
            raise TooManyRequestsError(
                "too many failed logins; try again later", retry_after=max(1, ttl)
            )

    def fail(self, key: str) -> None:
        """Record a failure."""
        self._fail(keys=[self.prefix + key], args=[self.window_s])

    def clear(self, key: str) -> None:
        """Forget failures after a success."""
        self.client.delete(self.prefix + key)
