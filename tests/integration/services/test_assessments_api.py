"""Assessments over HTTP: authoring every item kind, attempts, grading, hints step by step,
time limits, attempt limits, scoring, and one LearningEvent per answer."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from testkit.gateway_harness import Gateway

from features.events import LearningEvent, Verb, parse_learning_event
from services.assessments.models import Attempt
from services.common.db import utcnow
from services.common.events import InProcessEventBus
from services.common.principal import Role

pytestmark = pytest.mark.integration

ITEMS: list[dict[str, Any]] = [
    {
        "kind": "single_choice",
        "prompt": "2+2?",
        "choices": ["3", "4", "5"],
        "correct": 1,
        "skills": ["addition"],
    },
    {
        "kind": "multiple_choice",
        "prompt": "Primes?",
        "choices": ["2", "4", "5"],
        "correct": [0, 2],
        "skills": ["primes"],
    },
    {
        "kind": "numeric",
        "prompt": "pi to 2 decimals",
        "value": 3.14,
        "tolerance": 0.005,
        "skills": ["constants"],
    },
    {
        "kind": "short_text",
        "prompt": "Capital of France",
        "accepted": ["Paris"],
        "skills": ["geography"],
    },
    {
        "kind": "algebraic",
        "prompt": "Expand 2(x+1)",
        "accepted": ["2x+2"],
        "hints": ["Distribute the 2.", "2·x + 2·1"],
        "skills": ["expansion", "algebra"],
        "content_ref": "oat-demo/step-a",
    },
]
RIGHT = ["1", "2,0", "3.141", " paris ", "2(x+1)"]
WRONG = ["0", "0", "3.2", "Lyon", "2x+1"]


@pytest.fixture(scope="module")
def assessment(gateway: Gateway) -> dict[str, Any]:
    _iid, instructor = gateway.make_user(Role.INSTRUCTOR)
    answer = gateway.client.post(
        "/assessments",
        json={"title": "Mixed", "course_id": "algebra-1", "max_attempts": 3, "items": ITEMS},
        headers=instructor,
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _events(gateway: Gateway) -> list[LearningEvent]:
    assert isinstance(gateway.bus, InProcessEventBus)
    topic = gateway.platform.settings.kafka.learning_event_topic
    return [parse_learning_event(v) for v in gateway.bus.published(topic)]


def test_learners_see_no_answer_keys(gateway: Gateway, assessment: dict[str, Any]) -> None:
    _uid, learner = gateway.make_user()
    seen = gateway.client.get(f"/assessments/{assessment['id']}", headers=learner).json()
    assert [i["answer"] for i in seen["items"]] == [None] * 5
    assert seen["items"][4]["hint_count"] == 2
    assert assessment["items"][0]["answer"] == {"correct": 1}  # the author sees them


def test_all_right_then_all_wrong(gateway: Gateway, assessment: dict[str, Any]) -> None:
    learner_id, learner = gateway.make_user()
    attempt = gateway.client.post(
        f"/assessments/{assessment['id']}/attempts", headers=learner
    ).json()
    assert attempt["max_score"] == 5 and attempt["status"] == "in_progress"
    before = len(_events(gateway))
    for item, right in zip(assessment["items"], RIGHT, strict=True):
        graded = gateway.client.post(
            f"/assessments/attempts/{attempt['id']}/answers",
            json={"item_id": item["id"], "response": right, "duration_s": 4.5},
            headers=learner,
        )
        assert graded.status_code == 201, graded.text
        assert graded.json()["correct"], (item["kind"], right)
    for item, wrong in zip(assessment["items"], WRONG, strict=True):
        graded = gateway.client.post(
            f"/assessments/attempts/{attempt['id']}/answers",
            json={"item_id": item["id"], "response": wrong},
            headers=learner,
        )
        assert not graded.json()["correct"], (item["kind"], wrong)
    submitted = gateway.client.post(
        f"/assessments/attempts/{attempt['id']}/submit", headers=learner
    ).json()
    assert (submitted["status"], submitted["score"]) == ("submitted", 0.0)  # last answers count
    events = _events(gateway)[before:]
    answered = [e for e in events if e.verb == Verb.ANSWERED]
    assert len(answered) == 10 and len({e.event_id for e in answered}) == 10
    first = answered[0]
    assert (first.learner_id, first.correct, first.skill_ids) == (learner_id, True, ["addition"])
    assert first.result is not None and first.result.duration_s == 4.5
    assert first.context.session_id == attempt["id"] and first.context.source == "assessments"
    assert first.object.course_id == "algebra-1"
    assert answered[4].object.id == "oat-demo/step-a" and answered[4].object.type.value == "step"
    completed = events[-1]
    assert completed.verb == Verb.COMPLETED and completed.result and completed.result.score == 0.0
    detail = gateway.client.get(f"/assessments/attempts/{attempt['id']}", headers=learner).json()
    assert len(detail["responses"]) == 10


def test_hints_one_at_a_time_and_counted(gateway: Gateway, assessment: dict[str, Any]) -> None:
    _uid, learner = gateway.make_user()
    attempt = gateway.client.post(
        f"/assessments/{assessment['id']}/attempts", headers=learner
    ).json()
    item = assessment["items"][4]
    url = f"/assessments/attempts/{attempt['id']}/items/{item['id']}/hints"
    first = gateway.client.post(url, headers=learner).json()
    second = gateway.client.post(url, headers=learner).json()
    assert (first["index"], first["text"], first["remaining"]) == (0, "Distribute the 2.", 1)
    assert (second["index"], second["remaining"]) == (1, 0)
    exhausted = gateway.client.post(url, headers=learner)
    assert exhausted.status_code == 409 and "no more hints" in exhausted.json()["detail"]
    graded = gateway.client.post(
        f"/assessments/attempts/{attempt['id']}/answers",
        json={"item_id": item["id"], "response": "2x+2"},
        headers=learner,
    ).json()
    assert graded["hints_used"] == 2
    hint_events = [
        e
        for e in _events(gateway)
        if e.verb == Verb.HINT_REQUESTED and e.context.session_id == attempt["id"]
    ]
    assert len(hint_events) == 2


def test_unreadable_responses_are_422_and_cost_nothing(
    gateway: Gateway, assessment: dict[str, Any]
) -> None:
    _uid, learner = gateway.make_user()
    attempt = gateway.client.post(
        f"/assessments/{assessment['id']}/attempts", headers=learner
    ).json()
    for item, response in (
        (assessment["items"][2], "three"),
        (assessment["items"][4], "import os"),
        (assessment["items"][4], "2(x+1"),  # an unclosed bracket: was a 500
    ):
        answer = gateway.client.post(
            f"/assessments/attempts/{attempt['id']}/answers",
            json={"item_id": item["id"], "response": response},
            headers=learner,
        )
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "response"
    foreign = gateway.client.post(
        f"/assessments/attempts/{attempt['id']}/answers",
        json={"item_id": "nope", "response": "1"},
        headers=learner,
    )
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "item_id"
    detail = gateway.client.get(f"/assessments/attempts/{attempt['id']}", headers=learner).json()
    assert detail["responses"] == []


def test_time_limit_closes_the_attempt(gateway: Gateway) -> None:
    _iid, instructor = gateway.make_user(Role.INSTRUCTOR)
    timed = gateway.client.post(
        "/assessments",
        json={"title": "Timed", "time_limit_s": 60, "items": ITEMS[:1]},
        headers=instructor,
    ).json()
    _uid, learner = gateway.make_user()
    attempt = gateway.client.post(f"/assessments/{timed['id']}/attempts", headers=learner).json()
    assert attempt["deadline"] is not None
    with gateway.platform.db.session() as session:
        row = session.get(Attempt, attempt["id"])
        assert row is not None
        row.deadline = utcnow() - timedelta(seconds=1)
    late = gateway.client.post(
        f"/assessments/attempts/{attempt['id']}/answers",
        json={"item_id": timed["items"][0]["id"], "response": "1"},
        headers=learner,
    )
    assert late.status_code == 409 and "expired" in late.json()["detail"]
    state = gateway.client.get(f"/assessments/attempts/{attempt['id']}", headers=learner).json()
    assert state["status"] == "expired"


def test_attempt_limit(gateway: Gateway) -> None:
    _iid, instructor = gateway.make_user(Role.INSTRUCTOR)
    once = gateway.client.post(
        "/assessments",
        json={"title": "Once", "max_attempts": 1, "items": ITEMS[:1]},
        headers=instructor,
    ).json()
    _uid, learner = gateway.make_user()
    assert (
        gateway.client.post(f"/assessments/{once['id']}/attempts", headers=learner).status_code
        == 201
    )
    again = gateway.client.post(f"/assessments/{once['id']}/attempts", headers=learner)
    assert again.status_code == 409 and "1 attempts used" in again.json()["detail"]


def test_authoring_validation_names_fields(gateway: Gateway) -> None:
    _iid, instructor = gateway.make_user(Role.INSTRUCTOR)
    bad_items = [
        (
            {"kind": "single_choice", "prompt": "p", "choices": ["a", "b"], "correct": 5},
            "correct must index",
        ),
        ({"kind": "algebraic", "prompt": "p", "accepted": ["__import__"]}, "cannot read"),
        ({"kind": "algebraic", "prompt": "p", "accepted": ["2(x+1"]}, "unbalanced brackets"),
        (
            {"kind": "short_text", "prompt": "p", "accepted": ["("], "mode": "regex"},
            "invalid regular expression",
        ),
        ({"kind": "essay", "prompt": "p"}, "essay"),
    ]
    for item, reason in bad_items:
        answer = gateway.client.post(
            "/assessments", json={"title": "Bad", "items": [item]}, headers=instructor
        )
        assert answer.status_code == 422, item
        assert answer.json()["errors"][0]["field"].startswith("items.0")
        assert reason in answer.text


def test_unpublished_assessments_are_hidden_from_learners(gateway: Gateway) -> None:
    _iid, instructor = gateway.make_user(Role.INSTRUCTOR)
    draft = gateway.client.post(
        "/assessments",
        json={"title": "Draft", "published": False, "items": ITEMS[:1]},
        headers=instructor,
    ).json()
    _uid, learner = gateway.make_user()
    assert gateway.client.get(f"/assessments/{draft['id']}", headers=learner).status_code == 404
    assert draft["id"] not in {
        a["id"] for a in gateway.client.get("/assessments", headers=learner).json()["data"]
    }
    published = gateway.client.patch(
        f"/assessments/{draft['id']}", json={"published": True}, headers=instructor
    )
    assert published.json()["published"] is True
    assert gateway.client.get(f"/assessments/{draft['id']}", headers=learner).status_code == 200


def test_from_catalog_builds_items_through_the_catalog_api(gateway: Gateway) -> None:
    _iid, instructor = gateway.make_user(Role.INSTRUCTOR)
    course = gateway.client.post(
        "/catalog/courses", json={"title": "Pack demo"}, headers=instructor
    ).json()
    exercise = gateway.client.post(
        "/catalog/items",
        json={
            "title": "Slope",
            "kind": "exercise",
            "course_id": course["id"],
            "content": {
                "steps": [
                    {
                        "id": "slope-a",
                        "prompt": "Slope of y=3x+1?",
                        "input_type": "TextBox",
                        "answer_type": "arithmetic",
                        "correct_answers": ["$$3$$"],
                        "hints": ["Read the coefficient of x."],
                        "skills": ["slope"],
                    },
                    {
                        "id": "slope-b",
                        "prompt": "Is it increasing?",
                        "input_type": "MultipleChoice",
                        "answer_type": "string",
                        "correct_answers": ["Yes"],
                        "choices": ["No", "Yes"],
                        "skills": ["slope"],
                    },
                ]
            },
        },
        headers=instructor,
    ).json()
    created = gateway.client.post(
        "/assessments/from-catalog",
        json={"title": "From pack", "item_ids": [exercise["id"]]},
        headers=instructor,
    )
    assert created.status_code == 201, created.text
    items = created.json()["items"]
    assert [(i["kind"], i["content_ref"]) for i in items] == [
        ("algebraic", f"{exercise['id']}/slope-a"),
        ("single_choice", f"{exercise['id']}/slope-b"),
    ]
    assert items[1]["answer"] == {"correct": 1}
    missing = gateway.client.post(
        "/assessments/from-catalog", json={"title": "x", "item_ids": ["nope"]}, headers=instructor
    )
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "item_ids.0"
