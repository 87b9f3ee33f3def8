"""The gateway: token verification, rate limits (429 + Retry-After), CORS, request ids,
security headers, consistent problem bodies, one merged OpenAPI document."""

from __future__ import annotations

import time
from collections.abc import Callable

import jwt
import pytest
from testkit.gateway_harness import Gateway

from learnloop.localstack import ManagedProcess

pytestmark = pytest.mark.integration


def test_one_openapi_for_every_service(gateway: Gateway) -> None:
    schema = gateway.client.get("/openapi.json").json()
    paths = set(schema["paths"])
    for path in (
        "/auth/token",
        "/users/{user_id}",
        "/catalog/items",
        "/catalog/scorm",
        "/lti/launch",
        "/assessments/attempts/{attempt_id}/answers",
        "/progress/learners/{learner_id}",
        "/events",
        "/.well-known/jwks.json",
    ):
        assert path in paths, path
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    answer = schema["paths"]["/users/me"]["get"]["responses"]
    assert (
        answer["401"]["content"]["application/problem+json"]["schema"]["$ref"]
        == "#/components/schemas/Problem"
    )
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    operation_ids = [op["operationId"] for item in schema["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))


@pytest.mark.parametrize(
    ("make_token", "reason"),
    [
        (lambda iss: "garbage", "malformed"),
        (lambda iss: jwt.encode({"iss": iss, "sub": "x"}, key="", algorithm="none"), "no key id"),
        (
            lambda iss: jwt.encode(
                {"iss": iss, "sub": "x"}, key="k" * 32, algorithm="HS256", headers={"kid": "k1"}
            ),
            "algorithm",
        ),
        (
            lambda iss: jwt.encode(
                {"iss": "https://evil", "sub": "x"}, key="k" * 32, headers={"kid": "1"}
            ),
            "issuer",
        ),
    ],
)
def test_bad_tokens_are_401_problems_before_any_service_runs(
    gateway: Gateway, make_token: Callable[[str], str], reason: str
) -> None:
    token = make_token(gateway.platform.settings.auth_issuer)
    answer = gateway.client.get("/catalog/courses", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert reason in answer.json()["detail"]
    assert answer.json()["request_id"] == answer.headers["x-request-id"]


def test_problem_bodies_everywhere(gateway: Gateway) -> None:
    for answer, status in (
        (gateway.client.get("/no/such/path"), 404),
        (gateway.client.put("/catalog/courses"), 405),
        (
            gateway.client.post(
                "/auth/register", content=b"{not json", headers={"content-type": "application/json"}
            ),
            422,
        ),
        (gateway.client.get("/users/me"), 401),
    ):
        assert answer.status_code == status
        body = answer.json()
        assert answer.headers["content-type"] == "application/problem+json"
        assert body["status"] == status and body["title"] and body["instance"]


def test_request_ids_and_security_headers(gateway: Gateway) -> None:
    mine = gateway.client.get("/healthz", headers={"X-Request-ID": "client-chosen-123"})
    assert mine.headers["x-request-id"] == "client-chosen-123"
    hostile = gateway.client.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert hostile.headers["x-request-id"] != "bad id\nwith newline"
    answer = gateway.client.get("/catalog/courses")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    assert answer.headers["referrer-policy"] == "no-referrer"
    docs = gateway.client.get("/docs")
    assert docs.status_code == 200 and "x-frame-options" not in docs.headers  # HTML sets its own


def test_cors(make_gateway: Callable[..., Gateway]) -> None:
    app = make_gateway(api={"cors_origins": ["https://app.learnloop.example"]})
    preflight = app.client.options(
        "/catalog/items",
        headers={
            "Origin": "https://app.learnloop.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.learnloop.example"
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    simple = app.client.get("/catalog/courses", headers={"Origin": "https://app.learnloop.example"})
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()
    foreign = app.client.get("/catalog/courses", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in foreign.headers


def test_rate_limits_per_ip_and_per_user(make_gateway: Callable[..., Gateway]) -> None:
    limited = make_gateway(
        rate_limit={"enabled": True, "per_ip_per_minute": 1000, "per_user_per_minute": 3}
    )
    _uid, headers = limited.make_user()
    statuses = [limited.client.get("/users/me", headers=headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    blocked = limited.client.get("/users/me", headers=headers)
    assert blocked.headers["content-type"] == "application/problem+json"
    assert 1 <= int(blocked.headers["retry-after"]) <= 20
    assert blocked.json()["type"].endswith("/rate-limited")
    _other, other = limited.make_user()
    assert limited.client.get("/users/me", headers=other).status_code == 200  # per user
    assert limited.client.get("/healthz").status_code == 200  # probes are never limited

    per_ip = make_gateway(rate_limit={"enabled": True, "per_ip_per_minute": 2})
    assert [per_ip.client.get("/catalog/courses").status_code for _ in range(3)] == [200, 200, 429]
    spoofed = per_ip.client.get("/catalog/courses", headers={"X-Forwarded-For": "203.0.113.9"})
    assert spoofed.status_code == 429  # X-Forwarded-For is only believed from trusted proxies


def test_rate_limits_shared_through_redis(
    make_gateway: Callable[..., Gateway], redis_server: ManagedProcess
) -> None:
    url = f"redis://127.0.0.1:{redis_server.port}/0"
    config = {"enabled": True, "backend": "redis", "redis_url": url, "per_ip_per_minute": 3}
    first, second = make_gateway(rate_limit=config), make_gateway(rate_limit=config)
    path = f"/catalog/courses?q=redis-{time.time_ns()}"
    import redis

    redis.Redis.from_url(url).flushdb()
    assert [first.client.get(path).status_code for _ in range(2)] == [200, 200]
    assert second.client.get(path).status_code == 200
    blocked = second.client.get(path)  # the bucket is shared by both replicas
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1


def test_metrics_count_requests(gateway: Gateway) -> None:
    gateway.client.get("/catalog/courses")
    metrics = gateway.client.get("/metrics").text
    assert (
        'learnloop_http_requests_total{method="GET",route="/catalog/courses",service="gateway",status="200"}'
        in metrics
    )
