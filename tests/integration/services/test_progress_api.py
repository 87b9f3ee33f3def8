"""Progress over HTTP: answers move mastery (BKT from models.kt), per-skill reads, access rules."""

from __future__ import annotations

from typing import Any

import pytest
from testkit.gateway_harness import Gateway

from features.events import parse_progress_event
from services.common.events import InProcessEventBus
from services.common.principal import Role

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def quiz(gateway: Gateway) -> dict[str, Any]:
    _iid, instructor = gateway.make_user(Role.INSTRUCTOR)
    item = {
        "kind": "numeric",
        "prompt": "3*4",
        "value": 12,
        "skills": ["multiplication", "arithmetic"],
    }
    created = gateway.client.post(
        "/assessments", json={"title": "Times", "items": [item]}, headers=instructor
    )
    return dict(created.json())


def _answer(gateway: Gateway, headers: dict[str, str], quiz: dict[str, Any], response: str) -> None:
    attempt = gateway.client.post(f"/assessments/{quiz['id']}/attempts", headers=headers).json()
    answer = gateway.client.post(
        f"/assessments/attempts/{attempt['id']}/answers",
        json={"item_id": quiz["items"][0]["id"], "response": response},
        headers=headers,
    )
    assert answer.status_code == 201


def test_mastery_follows_answers(gateway: Gateway, quiz: dict[str, Any]) -> None:
    learner_id, headers = gateway.make_user()
    assert gateway.client.get("/progress/me", headers=headers).json()["skills"] == []
    levels = []
    for response in ("12", "12", "12"):
        _answer(gateway, headers, quiz, response)
        mine = gateway.client.get("/progress/me", headers=headers).json()
        assert {s["skill_id"] for s in mine["skills"]} == {"arithmetic", "multiplication"}
        levels.append(
            next(s["mastery"] for s in mine["skills"] if s["skill_id"] == "multiplication")
        )
    assert levels == sorted(levels) and levels[0] < levels[-1]
    _answer(gateway, headers, quiz, "13")
    skill = gateway.client.get(
        f"/progress/learners/{learner_id}/skills/multiplication", headers=headers
    ).json()
    assert skill["mastery"] < levels[-1] and (skill["attempts"], skill["correct"]) == (4, 3)
    assert skill["model"] == "bkt:content-pack"
    assert isinstance(gateway.bus, InProcessEventBus)
    topic = gateway.platform.settings.kafka.progress_update_topic
    updates = [parse_progress_event(v) for v in gateway.bus.published(topic)]
    mine = [u for u in updates if u.learner_id == learner_id and u.skill_id == "multiplication"]
    assert [round(u.mastery, 6) for u in mine[:3]] == [round(x, 6) for x in levels]
    assert mine[0].model_name == "bkt"


def test_who_may_read_progress(gateway: Gateway, quiz: dict[str, Any]) -> None:
    learner_id, learner = gateway.make_user()
    _answer(gateway, learner, quiz, "12")
    _other, stranger = gateway.make_user()
    assert (
        gateway.client.get(f"/progress/learners/{learner_id}", headers=stranger).status_code == 403
    )
    _sid, scientist = gateway.make_user(Role.DATA_SCIENTIST)
    seen = gateway.client.get(f"/progress/learners/{learner_id}", headers=scientist)
    assert seen.status_code == 200 and len(seen.json()["skills"]) == 2
    _iid, instructor = gateway.make_user(Role.INSTRUCTOR)  # FERPA: course analytics only
    assert (
        gateway.client.get(f"/progress/learners/{learner_id}", headers=instructor).status_code
        == 403
    )
    missing = gateway.client.get(
        f"/progress/learners/{learner_id}/skills/geometry", headers=learner
    )
    assert missing.status_code == 404


def test_model_info(gateway: Gateway) -> None:
    info = gateway.client.get("/progress/model").json()
    assert info == {"model_name": "bkt", "model_version": "content-pack", "store": "sqlite"}
