"""LPS as a real BentoML process: plans from RES over gRPC, re-plans from ProgressUpdateEvent,
degrades when RES is stopped (cached / prior answers, breaker) and recovers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from features.events import ProgressUpdateEvent
from features.streaming import EventProducer, encode

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def plan(stack: Any, **body: Any) -> dict[str, Any]:
    answer = httpx.post(f"{stack.lps_url}/paths", json=body, timeout=20)
    assert answer.status_code == 201, answer.text
    return answer.json()


def gauge(stack: Any) -> float | None:
    for line in stack.metrics(stack.lps_url).splitlines():
        if line.startswith("learnloop_circuit_breaker_state{") and 'target="res"' in line:
            return float(line.rsplit(" ", 1)[1])
    return None


def test_plans_from_res_mastery_and_replans_when_the_learner_is_ahead(
    stack: Any, wait_until: Any
) -> None:
    learner = f"path-{uuid.uuid4().hex[:8]}"
    skills = stack.kt_skills
    # Every skill's mastery is pushed: the plan must not depend on the champion's prior (the
    # stack's first model predicts mastery high enough to skip unseen skills; hot-reload
    # tests register other champions, so the prior depends on which tests ran before).
    mastery = {**dict.fromkeys(skills, 0.1), **dict.fromkeys(skills[:8], 0.97)}
    stack.push_mastery(learner, mastery)
    path = plan(stack, learner_id=learner, goal_skills=[skills[14]], budget_minutes=2000)
    assert path["served"]["source"] == "res" and not path["degraded"]
    assert path["served"]["kt"]["version"] in stack.versions
    steps = [s["skill"] for s in path["steps"]]
    assert steps and steps[-1] == skills[14] and not set(steps) & set(skills[:8])
    # what the plan skipped as mastered is what was pushed as mastered
    assert set(path["assumed_mastered"]) <= set(skills[:8])
    first = path["steps"][0]
    event = ProgressUpdateEvent(
        learner_id=learner,
        skill_id=first["skill"],
        mastery=0.99,
        previous_mastery=first["start_mastery"],
        model_name="bkt",
        model_version="test",
        cause_event_id=uuid.uuid4(),
        timestamp=datetime.now(UTC),
    )
    kafka = stack.settings.kafka
    with EventProducer(kafka, delivery_timeout_s=10) as producer:
        producer.send_all([encode(event, kafka.progress_update_topic)])

    def replanned() -> dict[str, Any] | None:
        latest = httpx.get(f"{stack.lps_url}/paths/{path['path_id']}").json()
        return latest if latest["version"] == 2 else None

    latest = wait_until(replanned, timeout=60, every=0.5)
    assert latest["replans"][0]["cause"] == "ahead"
    assert latest["replans"][0]["skill_id"] == first["skill"]
    assert first["skill"] not in [s["skill"] for s in latest["steps"]]
    listed = httpx.get(f"{stack.lps_url}/learners/{learner}/paths").json()["data"]
    assert [(p["path_id"], p["version"]) for p in listed] == [(path["path_id"], 2)]
    assert listed[0]["replans"] == latest["replans"]  # the list shows the log too


def test_res_stopped_lps_degrades_opens_the_breaker_and_recovers(
    stack: Any, wait_until: Any
) -> None:
    known = f"known-{uuid.uuid4().hex[:8]}"
    goal = [stack.kt_skills[5]]
    assert plan(stack, learner_id=known, goal_skills=goal)["served"]["source"] == "res"
    stack.res.stop()
    try:
        cached = plan(stack, learner_id=known, goal_skills=goal)
        assert cached["served"]["source"] == "cached" and cached["degraded"]
        assert cached["served"]["degraded"] == ["res_unavailable"]
        fresh = plan(stack, learner_id=f"new-{uuid.uuid4().hex[:8]}", goal_skills=goal)
        assert fresh["served"]["source"] == "prior" and fresh["steps"]
        for _ in range(3):
            plan(stack, learner_id=known, goal_skills=goal)
        assert gauge(stack) == 2
        text = stack.metrics(stack.lps_url)
        assert (
            'learnloop_serving_degraded_total{reason="res_unavailable:cached",service="lps"}'
            in text
        )
        assert 'outcome="breaker_open"' in text
    finally:
        stack.restart_res()
    wait_until(
        lambda: plan(stack, learner_id=known, goal_skills=goal)["served"]["source"] == "res",
        timeout=30,
        every=0.5,
    )
    assert gauge(stack) == 0
