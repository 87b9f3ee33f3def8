"""RBAC as a matrix: every role × endpoint × owner (self / someone else), plus anonymous.

The expected table is written out here, independently of the policy table in
``services.common.rbac``, so a policy change that opens or closes access fails this test.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from testkit.gateway_harness import Gateway

from services.common.principal import Role

pytestmark = pytest.mark.integration

LRN, INS, DSC, ADM = "learner", "instructor", "data_scientist", "admin"
ALL = {LRN, INS, DSC, ADM}


@dataclass(frozen=True)
class Case:
    """An endpoint, how to call it for an owner, who may call it on self / on others."""

    name: str
    call: Callable[[Gateway, dict[str, str], dict[str, str]], int]
    self_ok: set[str]
    other_ok: set[str]
    ok_status: int = 200


def _status(g: Gateway, method: str, url: str, headers: dict[str, str], **kw: object) -> int:
    return g.client.request(method, url, headers=headers, **kw).status_code  # type: ignore[arg-type]


ITEM = {"kind": "numeric", "prompt": "2+2?", "value": 4, "tolerance": 0}

CASES = [
    Case("read user", lambda g, h, o: _status(g, "GET", f"/users/{o['id']}", h), ALL, {ADM}),
    Case(
        "update user",
        lambda g, h, o: _status(g, "PATCH", f"/users/{o['id']}", h, json={"locale": "fr"}),
        ALL,
        {ADM},
    ),
    Case("list users", lambda g, h, o: _status(g, "GET", "/users", h), {ADM}, {ADM}),
    Case(
        "set roles",
        lambda g, h, o: _status(
            g, "PUT", f"/users/{o['id']}/roles", h, json={"roles": [o["role"]]}
        ),
        {ADM},
        {ADM},
    ),
    Case(
        "export user", lambda g, h, o: _status(g, "GET", f"/users/{o['id']}/export", h), ALL, {ADM}
    ),
    Case("audit log", lambda g, h, o: _status(g, "GET", "/audit", h), {ADM}, {ADM}),
    Case(
        "create course",
        lambda g, h, o: _status(g, "POST", "/catalog/courses", h, json={"title": "RBAC course"}),
        {INS, ADM},
        {INS, ADM},
        201,
    ),
    Case(
        "create assessment",
        lambda g, h, o: _status(g, "POST", "/assessments", h, json={"title": "Q", "items": [ITEM]}),
        {INS, ADM},
        {INS, ADM},
        201,
    ),
    Case(
        "read attempt",
        lambda g, h, o: _status(g, "GET", f"/assessments/attempts/{o['attempt']}", h),
        ALL,
        {ADM},  # FERPA: instructors see learners through course-scoped analytics only
    ),
    Case(
        "answer in attempt",
        lambda g, h, o: _status(
            g,
            "POST",
            f"/assessments/attempts/{o['attempt']}/answers",
            h,
            json={"item_id": o["item"], "response": "4"},
        ),
        ALL,
        set(),
        201,
    ),
    Case(
        "read progress",
        lambda g, h, o: _status(g, "GET", f"/progress/learners/{o['id']}", h),
        ALL,
        {DSC, ADM},  # FERPA: not instructors (course-scoped analytics instead)
    ),
    Case(
        "catalog privacy export",
        lambda g, h, o: _status(g, "GET", f"/catalog/privacy/subjects/{o['id']}", h),
        ALL,
        {ADM},
    ),
    Case(
        "register LTI platform",
        lambda g, h, o: _status(
            g,
            "POST",
            "/lti/platforms",
            h,
            json={
                "issuer": "https://lms.example",
                "client_id": uuid.uuid4().hex,
                "deployment_ids": ["d1"],
                "auth_login_url": "https://lms.example/auth",
                "auth_token_url": "https://lms.example/token",
                "key_set_url": "https://lms.example/jwks",
            },
        ),
        {ADM},
        {ADM},
        201,
    ),
    Case(
        "erase user", lambda g, h, o: _status(g, "DELETE", f"/users/{o['id']}", h), ALL, {ADM}, 202
    ),
]


@pytest.fixture(scope="module")
def world(gateway: Gateway) -> dict[str, object]:
    """An assessment everyone can attempt."""
    _admin_id, admin = gateway.make_user(Role.ADMIN)
    created = gateway.client.post(
        "/assessments", json={"title": "Matrix", "items": [ITEM]}, headers=admin
    )
    assert created.status_code == 201, created.text
    return {"assessment": created.json()["id"], "item": created.json()["items"][0]["id"]}


def _subject(
    gateway: Gateway, world: dict[str, object], role: str
) -> tuple[dict[str, str], dict[str, str]]:
    """A fresh user with ``role``: (headers, facts about them)."""
    user_id, headers = gateway.make_user(Role(role))
    attempt = gateway.client.post(f"/assessments/{world['assessment']}/attempts", headers=headers)
    assert attempt.status_code == 201, attempt.text
    facts = {
        "id": user_id,
        "attempt": attempt.json()["id"],
        "item": str(world["item"]),
        "role": role,
    }
    return headers, facts


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("role", [LRN, INS, DSC, ADM])
@pytest.mark.parametrize("owner", ["self", "other"])
def test_matrix(
    gateway: Gateway, world: dict[str, object], case: Case, role: str, owner: str
) -> None:
    headers, me = _subject(gateway, world, role)
    if owner == "self":
        target, allowed = me, role in case.self_ok
    else:
        _other_headers, target = _subject(gateway, world, LRN)
        allowed = role in case.other_ok
    status = case.call(gateway, headers, target)
    expected = case.ok_status if allowed else 403
    assert status == expected, f"{case.name} as {role} on {owner}: {status}, expected {expected}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_anonymous_callers_get_401(gateway: Gateway, world: dict[str, object], case: Case) -> None:
    _headers, target = _subject(gateway, world, LRN)
    assert case.call(gateway, {}, target) == 401
