"""Broken access control (OWASP A01) and accountability through the real gateway: IDOR between
learners, FERPA (instructors never read another learner's raw attempts or progress; their view
is course-scoped analytics), and an audit entry for every access to a learner's record by
another person (granted or denied), with pseudonyms only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from testkit.gateway_harness import Gateway
from testkit.streaming import kafka_settings

from features.streaming import EventProducer
from learnloop.localstack import ManagedProcess
from learnloop.settings import get_settings
from services.common.principal import Role
from services.ingestion.service import IngestionService

ITEM = {"kind": "numeric", "prompt": "2+2", "value": 4, "skills": ["arithmetic"]}


@pytest.fixture(scope="module")
def world(gateway: Gateway) -> dict[str, Any]:
    """Learner A with an attempt and progress, learner B, an instructor, a scientist, an admin."""
    _iid, instructor = gateway.make_user(Role.INSTRUCTOR)
    assessment = gateway.client.post(
        "/assessments", json={"title": "Q", "course_id": "course-a", "items": [ITEM]},
        headers=instructor,
    ).json()  # fmt: skip
    a_id, a = gateway.make_user(name="Alice Learner")
    attempt = gateway.client.post(f"/assessments/{assessment['id']}/attempts", headers=a).json()
    answer = gateway.client.post(
        f"/assessments/attempts/{attempt['id']}/answers",
        json={"item_id": assessment["items"][0]["id"], "response": "4"},
        headers=a,
    )
    assert answer.status_code == 201, answer.text
    b_id, b = gateway.make_user(name="Bob Learner")
    admin_id, admin = gateway.make_user(Role.ADMIN)
    assert gateway.client.put(f"/analytics/staff/course-a/{_iid}", headers=admin).status_code == 200
    return {
        "a_id": a_id, "a": a, "b_id": b_id, "b": b, "instructor_id": _iid,
        "instructor": instructor, "admin_id": admin_id, "admin": admin,
        "scientist": gateway.make_user(Role.DATA_SCIENTIST)[1], "attempt": attempt["id"],
    }  # fmt: skip


def _other_learner_requests(w: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    a = w["a_id"]
    return [
        ("GET", f"/users/{a}", None),
        ("PATCH", f"/users/{a}", {"full_name": "Mallory"}),
        ("DELETE", f"/users/{a}", None),
        ("GET", f"/users/{a}/export", None),
        ("GET", f"/progress/learners/{a}", None),
        ("GET", f"/progress/learners/{a}/skills/arithmetic", None),
        ("GET", f"/assessments/attempts/{w['attempt']}", None),
        ("GET", f"/assessments/attempts?learner_id={a}", None),
        ("POST", f"/assessments/attempts/{w['attempt']}/submit", None),
        ("GET", f"/integrations/subscriptions/{a}", None),
        ("GET", f"/catalog/privacy/subjects/{a}", None),
        ("GET", f"/assessments/privacy/subjects/{a}", None),
        ("GET", f"/progress/privacy/subjects/{a}", None),
        ("GET", f"/notifications/privacy/subjects/{a}", None),
        ("GET", f"/data-platform/lake/privacy/subjects/{a}", None),
        ("GET", f"/data-platform/feature-store/privacy/subjects/{a}", None),
        ("GET", f"/learning-paths/privacy/subjects/{a}", None),
        ("GET", f"/data-platform/training-data/privacy/subjects/{a}", None),
        ("GET", f"/analytics/reports/learner_activity?learner_id={a}", None),
    ]


@pytest.mark.parametrize("who", ["b", "instructor"])
def test_idor_and_ferpa_another_learners_records_are_refused(
    gateway: Gateway, world: dict[str, Any], who: str
) -> None:
    for method, path, body in _other_learner_requests(world):
        if who == "instructor" and path.startswith("/analytics/"):
            continue  # instructors' analytics are course-scoped (next test)
        answer = gateway.client.request(method, path, json=body, headers=world[who])
        assert answer.status_code in (403, 404), (who, method, path, answer.status_code)
        assert "Alice" not in answer.text and world["a_id"] not in answer.json().get("data", "")
    me = gateway.client.get("/users/me", headers=world["a"]).json()
    assert me["full_name"] == "Alice Learner"  # nothing changed
    own = gateway.client.get("/assessments/attempts", headers=world[who]).json()
    assert all(row["learner_id"] == world[f"{who}_id"] for row in own["data"])


def test_ferpa_instructors_see_only_their_courses(gateway: Gateway, world: dict[str, Any]) -> None:
    assigned = gateway.client.get("/analytics/staff", headers=world["instructor"]).json()
    assert [row["course_id"] for row in assigned["data"]] == ["course-a"]
    others = gateway.client.get(
        "/analytics/staff", params={"user_id": world["admin_id"]}, headers=world["instructor"]
    )
    assert others.status_code == 403
    report = gateway.client.get(
        "/analytics/reports/learner_activity",
        params={"course_id": "course-b"},
        headers=world["instructor"],
    )
    assert report.status_code == 200, report.text
    assert report.json()["data"] == []  # a course they do not teach shows nothing
    # (row-level course scoping itself: tests/unit/services/analytics/test_api.py)
    # Staff with a need (data science, admin) keep access; the learner keeps their own.
    for staff in ("scientist", "admin", "a"):
        answer = gateway.client.get(f"/progress/learners/{world['a_id']}", headers=world[staff])
        assert answer.status_code == 200


def _audit(gateway: Gateway, admin: dict[str, str], subject_id: str) -> list[dict[str, Any]]:
    answer = gateway.client.get(
        "/audit", params={"subject_id": subject_id, "limit": 200}, headers=admin
    )
    assert answer.status_code == 200, answer.text
    return [e for e in answer.json()["data"] if e["action"].startswith("learner_record.")]


def test_every_access_to_a_learner_record_by_someone_else_is_audited(
    gateway: Gateway, world: dict[str, Any]
) -> None:
    a_id, admin = world["a_id"], world["admin"]
    before = {e["id"] for e in _audit(gateway, admin, a_id)}
    for path in (
        f"/progress/learners/{a_id}",
        f"/users/{a_id}",
        f"/users/{a_id}/export",
        f"/assessments/attempts/{world['attempt']}",
    ):
        assert gateway.client.get(path, headers=admin).status_code == 200
    gateway.client.get(f"/progress/learners/{a_id}", headers=world["b"])  # denied, still audited
    for path in ("/users/me", f"/progress/learners/{a_id}", "/progress/me"):
        gateway.client.get(path, headers=world["a"])  # the learner's own reads: not audited
    entries = [e for e in _audit(gateway, admin, a_id) if e["id"] not in before]
    entries = [e for e in entries if e["detail"]["route"] != "/audit"]  # the check's own reads
    routes = [e["detail"]["route"] for e in entries]
    # The export fans out to every service's privacy endpoint: each of those reads is audited.
    fan_out = [r for r in routes if r.endswith("/privacy/subjects/{subject_id}")]
    # catalog, assessments, progress, notifications, integrations, lake, feature store,
    # training data, paths
    assert len(fan_out) == 9
    assert sorted(r for r in routes if r not in fan_out) == sorted(
        [
            "/progress/learners/{learner_id}",
            "/users/{user_id}",
            "/users/{user_id}/export",
            "/assessments/attempts/{attempt_id}",
            "/progress/learners/{learner_id}",
        ]
    )
    pseudonym = gateway.platform.pseudonym
    denied = [e for e in entries if not e["detail"]["granted"]]
    assert len(denied) == 1 and denied[0]["actor"] == pseudonym(world["b_id"])
    assert denied[0]["detail"]["status"] == 403
    granted = [e for e in entries if e["detail"]["granted"]]
    assert {e["actor"] for e in granted} == {pseudonym(world["admin_id"])}
    assert {e["subject"] for e in entries} == {pseudonym(a_id)}
    assert all(e["action"] == "learner_record.read" and e["request_id"] for e in entries)
    assert a_id not in str(entries) and world["admin_id"] not in str(entries)


def _event(learner_id: str) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "learner_id": learner_id,
        "timestamp": datetime.now(UTC).isoformat(),
        "verb": "answered",
        "object": {"id": "item-1", "type": "problem"},
        "skill_ids": ["arithmetic"],
        "result": {"correct": True},
    }


@pytest.mark.integration
def test_learners_cannot_forge_other_learners_events(
    gateway: Gateway,
    world: dict[str, Any],
    broker: ManagedProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kafka = kafka_settings(broker.port)
    producer = EventProducer(kafka, delivery_timeout_s=10.0)
    app: Any = gateway.client.app
    app.state.ingestion_service = IngestionService(producer, kafka.learning_event_topic)
    try:
        a, b = world["a_id"], world["b_id"]
        forged = gateway.client.post("/events", json=[_event(a), _event(b)], headers=world["a"])
        assert forged.status_code == 403 and "items [1]" in forged.json()["detail"]
        own = gateway.client.post("/events", json=[_event(a)], headers=world["a"])
        assert own.status_code == 202, own.text
        staff = gateway.client.post("/events", json=[_event(b)], headers=world["scientist"])
        assert staff.status_code == 202  # simulators / LMS bridges run with a staff role
        monkeypatch.setenv("LEARNLOOP_SECURITY__EVENTS_REQUIRE_AUTH", "true")
        get_settings.cache_clear()
        anonymous = gateway.client.post("/events", json=[_event(a)])
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == "Bearer"
    finally:
        get_settings.cache_clear()
        producer.close()
