"""Through the real broker: each answer is a LearningEvent on Kafka, the progress consumer turns
it into mastery (stored in DynamoDB on a moto server) and a ProgressUpdateEvent; erasure fans
out through Kafka too; malformed events land in the dead-letter topic with the reason."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from testkit.gateway_harness import Gateway
from testkit.streaming import kafka_settings, produce_events, read_all

from features.events import parse_learning_event, parse_progress_event
from features.streaming import REASON_HEADER, header
from learnloop.localstack import ManagedProcess
from services.common.kafka_bus import KafkaEventBus
from services.common.principal import Role

pytestmark = pytest.mark.integration


def wait_for(check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise TimeoutError("condition not met in time")


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """SQLite only: this module is about the broker (both databases run everywhere else)."""
    return f"sqlite:///{tmp_path_factory.mktemp('kafka') / 'services.db'}"


@pytest.fixture(scope="module")
def kafka_gateway(
    make_gateway: Callable[..., Gateway], broker: ManagedProcess, s3_server: ManagedProcess
) -> Gateway:
    kafka = kafka_settings(broker.port)
    bus = KafkaEventBus(kafka, namespace=f"t{uuid.uuid4().hex[:6]}-")
    return make_gateway(
        bus=bus,
        kafka=kafka.model_dump(),
        progress={
            "backend": "dynamodb",
            "dynamodb_endpoint": f"http://127.0.0.1:{s3_server.port}",
            "dynamodb_table": f"progress-{uuid.uuid4().hex[:8]}",
            "aws_access_key": "test",
            "aws_secret_key": "test",
        },
    )


def test_answers_reach_progress_through_kafka(kafka_gateway: Gateway) -> None:
    gateway = kafka_gateway
    kafka = gateway.platform.settings.kafka
    ready = gateway.client.get("/readyz").json()
    assert ready["checks"]["event_bus"] is True and ready["checks"]["progress_store"] is True
    _iid, instructor = gateway.make_user(Role.INSTRUCTOR)
    quiz = gateway.client.post(
        "/assessments",
        json={
            "title": "Kafka",
            "items": [{"kind": "numeric", "prompt": "5+5", "value": 10, "skills": ["sums"]}],
        },
        headers=instructor,
    ).json()
    learner_id, learner = gateway.make_user()
    attempt = gateway.client.post(f"/assessments/{quiz['id']}/attempts", headers=learner).json()
    event_ids = []
    for response in ("10", "10"):
        answer = gateway.client.post(
            f"/assessments/attempts/{attempt['id']}/answers",
            json={"item_id": quiz["items"][0]["id"], "response": response},
            headers=learner,
        )
        event_ids.append(answer.json()["event_id"])

    def two_attempts() -> Any:
        skills = gateway.client.get("/progress/me", headers=learner).json()["skills"]
        return skills if skills and skills[0]["attempts"] == 2 else None

    (skill,) = wait_for(two_attempts)
    assert skill["skill_id"] == "sums" and skill["correct"] == 2
    assert gateway.client.get("/progress/model").json()["store"] == "dynamodb"

    learning = [
        parse_learning_event(m.value())
        for m in read_all(kafka, kafka.learning_event_topic, idle_s=1)
    ]
    mine = [e for e in learning if e.learner_id == learner_id]
    assert [str(e.event_id) for e in mine] == event_ids
    updates = [
        parse_progress_event(m.value())
        for m in read_all(kafka, kafka.progress_update_topic, idle_s=1)
    ]
    causes = [str(u.cause_event_id) for u in updates if u.learner_id == learner_id]
    assert causes == event_ids
    assert updates[-1].mastery > updates[0].mastery


def test_redelivered_events_do_not_count_twice(kafka_gateway: Gateway) -> None:
    gateway = kafka_gateway
    kafka = gateway.platform.settings.kafka
    learner_id, learner = gateway.make_user()
    from datetime import UTC, datetime

    from features.events import EventObject, EventResult, LearningEvent, Verb

    event = LearningEvent(
        learner_id=learner_id,
        timestamp=datetime.now(UTC),
        verb=Verb.ANSWERED,
        object=EventObject(id="oat-k/1"),
        skill_ids=["replays"],
        result=EventResult(correct=True),
    )
    produce_events(kafka, [event, event, event], raw=[b'{"learner_id": "broken"}'])
    wait_for(lambda: gateway.client.get("/progress/me", headers=learner).json()["skills"])
    time.sleep(1.0)
    (skill,) = gateway.client.get("/progress/me", headers=learner).json()["skills"]
    assert skill["attempts"] == 1
    dead = wait_for(
        lambda: read_all(kafka, f"{kafka.learning_event_topic}{kafka.dead_letter_suffix}", idle_s=1)
    )
    reasons = [header(m, REASON_HEADER) or "" for m in dead]
    assert any("Field required" in r or "field required" in r for r in reasons), reasons


def test_erasure_fans_out_through_kafka(kafka_gateway: Gateway) -> None:
    gateway = kafka_gateway
    user_id, headers = gateway.make_user()
    _admin_id, admin = gateway.make_user(Role.ADMIN)
    request = gateway.client.delete(f"/users/{user_id}", headers=headers).json()

    def finished() -> Any:
        state = gateway.client.get(
            f"/privacy/requests/{request['request_id']}", headers=admin
        ).json()
        return state if state["completed_at"] else None

    state = wait_for(finished)
    assert {s["status"] for s in state["stores"].values()} == {"done"}
    assert gateway.client.get(f"/users/{user_id}", headers=admin).status_code == 404
