"""Brute force on login (OWASP A07): failed logins are counted per e-mail and client across every
replica through the real Redis, then answered 429 with ``Retry-After`` as a problem body —
even for the right password — while other accounts stay usable. (API token buckets through
Redis: tests/integration/services/test_gateway.py.)"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Callable

import pytest
import redis
from testkit.gateway_harness import PASSWORD, Gateway

from learnloop.localstack import ManagedProcess
from services.users.throttle import RedisFailureThrottle

pytestmark = pytest.mark.integration


def test_failed_logins_are_limited_across_replicas_through_redis(
    make_gateway: Callable[..., Gateway], redis_server: ManagedProcess
) -> None:
    url = f"redis://127.0.0.1:{redis_server.port}/0"
    limits = {"backend": "redis", "redis_url": url, "login_failures_per_15min": 3}
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    shared = {"pii_keys": {"k": key}, "pii_active_key": "k", "pii_index_key": key}  # replicas
    first, second = (make_gateway(rate_limit=limits, security=shared) for _ in range(2))
    assert isinstance(first.platform.resources["users.login_throttle"], RedisFailureThrottle)
    victim = f"victim-{uuid.uuid4().hex[:8]}@example.com"
    bystander = f"other-{uuid.uuid4().hex[:8]}@example.com"
    for email in (victim, bystander):
        created = first.client.post("/auth/register", json={"email": email, "password": PASSWORD})
        assert created.status_code == 201
    wrong = {"email": victim, "password": "wrong password!"}
    statuses = [
        replica.client.post("/auth/token", json=wrong).status_code
        for replica in (first, second, first)
    ]
    assert statuses == [401, 401, 401]
    for replica in (first, second):
        blocked = replica.client.post("/auth/token", json={"email": victim, "password": PASSWORD})
        assert blocked.status_code == 429
        assert blocked.headers["content-type"] == "application/problem+json"
        assert blocked.json()["type"].endswith("/rate-limited")
        assert 800 <= int(blocked.headers["retry-after"]) <= 900
    assert second.login(bystander)  # another account is not locked
    client = redis.Redis.from_url(url)
    assert not [k for k in client.keys("learnloop:login:*") if victim.encode() in k]  # hashed


def test_a_successful_login_clears_the_failures(
    make_gateway: Callable[..., Gateway], redis_server: ManagedProcess
) -> None:
    url = f"redis://127.0.0.1:{redis_server.port}/0"
    gateway = make_gateway(
        rate_limit={"backend": "redis", "redis_url": url, "login_failures_per_15min": 2}
    )
    email = f"forgetful-{uuid.uuid4().hex[:8]}@example.com"
    gateway.client.post("/auth/register", json={"email": email, "password": PASSWORD})
    wrong = {"email": email, "password": "not it at all"}
    assert gateway.client.post("/auth/token", json=wrong).status_code == 401
    assert gateway.login(email)  # one failure, then success: counter cleared
    assert gateway.client.post("/auth/token", json=wrong).status_code == 401
    assert gateway.login(email)
