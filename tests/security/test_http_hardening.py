"""OWASP A04/A05 through the real gateway: oversized bodies (413 problems), security headers on
every kind of response, CORS only for configured origins, mass assignment refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from testkit.gateway_harness import PASSWORD, Gateway, service_settings

from learnloop.web.security_limits import BodySizeLimitMiddleware
from services.common.events import InProcessEventBus
from services.common.principal import Role

SMALL_KB = 4


@pytest.fixture(scope="module")
def small(make_gateway: Callable[..., Gateway]) -> Gateway:
    """A gateway with a 4 KiB body limit and a 1 MB SCORM upload limit."""
    return make_gateway(
        security={"max_body_kb": SMALL_KB, "body_limit_overrides_kb": {"/events": 8}},
        catalog={"import_content_on_start": False, "max_upload_mb": 1},
    )


def _assert_413(answer: object) -> None:
    assert answer.status_code == 413, answer.text  # type: ignore[attr-defined]
    assert answer.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    assert body["status"] == 413 and "larger than" in body["detail"] and body["request_id"]


def test_oversized_json_bodies_are_413_problems(small: Gateway) -> None:
    big = {"email": "a@example.com", "password": "p" * (SMALL_KB << 10)}
    _assert_413(small.client.post("/auth/register", json=big))
    _assert_413(small.client.post("/auth/token", json=big))
    fits = small.client.post("/auth/token", json={"email": "a@example.com", "password": "x" * 12})
    assert fits.status_code == 401  # the same route below the limit is read normally


def test_a_lying_or_missing_content_length_is_still_cut_off(small: Gateway) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"email": "a@example.com", "password": "'
        for _ in range(SMALL_KB + 2):
            yield b"p" * 1024
        yield b'"}'

    # No Content-Length (chunked): counted while streaming.
    _assert_413(
        small.client.post(
            "/auth/token", content=chunks(), headers={"content-type": "application/json"}
        )
    )
    _assert_413(
        small.client.post(
            "/auth/token",
            content=b"{}",
            headers={"content-type": "application/json", "content-length": "1e9"},
        )
    )


def test_uploads_have_their_own_limit(small: Gateway) -> None:
    _iid, instructor = small.make_user(Role.INSTRUCTOR)
    over = small.client.post(
        "/catalog/scorm",
        files={"file": ("p.zip", b"0" * (2 << 20), "application/zip")},
        headers=instructor,
    )
    _assert_413(over)
    under = small.client.post(
        "/catalog/scorm",
        files={"file": ("p.zip", b"0" * (64 << 10), "application/zip")},
        headers=instructor,
    )
    assert under.status_code == 400  # read (it is no zip), not cut off at the 4 KiB default


def test_longest_prefix_wins() -> None:
    middleware = BodySizeLimitMiddleware(
        lambda *_: None,  # type: ignore[arg-type]
        max_bytes=10,
        overrides={"/catalog": 20, "/catalog/scorm": 30},
    )
    assert [middleware.limit_for(p) for p in ("/x", "/catalog/items", "/catalog/scorm")] == [
        10,
        20,
        30,
    ]


HEADER_PATHS = [
    ("GET", "/catalog/courses", 200),
    ("GET", "/catalog/courses/does-not-exist", 404),
    ("GET", "/users/me", 401),
    ("DELETE", "/catalog/attribution", 405),
    ("POST", "/auth/token", 422),
    ("GET", "/metrics", 200),
    ("GET", "/healthz", 200),
    ("GET", "/openapi.json", 200),
]


@pytest.mark.parametrize(("method", "path", "status"), HEADER_PATHS)
def test_security_headers_on_every_kind_of_response(
    gateway: Gateway, method: str, path: str, status: int
) -> None:
    answer = gateway.client.request(method, path, headers={"Authorization": "Bearer not.a.jwt"})
    if path == "/users/me":
        assert answer.status_code == 401  # rejected by the gateway middleware itself
    else:
        answer = gateway.client.request(method, path)
        assert answer.status_code == status
    headers = answer.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "strict-transport-security" not in headers  # plain HTTP: no HSTS


def test_html_gets_a_restrictive_default_policy(gateway: Gateway) -> None:
    docs = gateway.client.get("/docs")
    assert docs.status_code == 200
    csp = docs.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in csp and "object-src 'none'" in csp
    assert docs.headers["x-content-type-options"] == "nosniff"


def test_hsts_on_https(gateway: Gateway) -> None:
    secure = TestClient(gateway.client.app, base_url="https://testserver")
    answer = secure.get("/catalog/courses")
    assert answer.headers["strict-transport-security"].startswith("max-age=31536000")


def test_cors_allows_only_configured_origins(make_gateway: Callable[..., Gateway]) -> None:
    closed = make_gateway()  # default: no origin at all
    preflight = {"Access-Control-Request-Method": "POST", "Origin": "https://app.example"}
    answer = closed.client.options("/auth/token", headers=preflight)
    assert "access-control-allow-origin" not in answer.headers
    opened = make_gateway(api={"cors_origins": ["https://app.example"]})
    ok = opened.client.options("/auth/token", headers=preflight)
    assert ok.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-credentials" not in ok.headers
    for origin in ("https://evil.example", "https://app.example.evil.example", "null"):
        bad = opened.client.options("/auth/token", headers={**preflight, "Origin": origin})
        assert bad.status_code == 400 and "access-control-allow-origin" not in bad.headers
        simple = opened.client.get("/catalog/courses", headers={"Origin": origin})
        assert "access-control-allow-origin" not in simple.headers


@pytest.mark.parametrize(
    "extra",
    [
        {"roles": ["admin"]},
        {"is_admin": True},
        {"is_active": False},
        {"id": "00000000-0000-0000-0000-000000000001"},
        {"email_verified": True},
    ],
)
def test_mass_assignment_is_refused(gateway: Gateway, extra: dict[str, object]) -> None:
    email = f"mass-{abs(hash(str(extra)))}@example.com"
    register = gateway.client.post(
        "/auth/register", json={"email": email, "password": PASSWORD, **extra}
    )
    assert register.status_code == 422
    assert register.json()["errors"][0]["field"] == next(iter(extra))
    user_id, headers = gateway.make_user()
    for path in ("/users/me", f"/users/{user_id}"):
        patch = gateway.client.patch(path, json={"full_name": "X", **extra}, headers=headers)
        assert patch.status_code == 422, patch.text
    me = gateway.client.get("/users/me", headers=headers).json()
    assert me["roles"] == ["learner"] and me["is_active"] and me["id"] == user_id
    roles = gateway.client.put(
        f"/users/{user_id}/roles", json={"roles": ["admin"]}, headers=headers
    )
    assert roles.status_code == 403


def test_standalone_services_have_the_same_limits_and_headers(
    database_url: str, dataset_dir: Path, tmp_path: Path
) -> None:
    from services.users.app import create_app

    settings = service_settings(tmp_path, database_url, dataset_dir, security={"max_body_kb": 2})
    with TestClient(create_app(settings, bus=InProcessEventBus())) as users:
        _assert_413(users.post("/auth/token", json={"email": "a@b.co", "password": "p" * 4096}))
        answer = users.get("/.well-known/jwks.json")
        assert answer.status_code == 200 and answer.headers["x-frame-options"] == "DENY"
