"""NS over HTTP: inbox, preferences, unsubscribe link, and background delivery with retries."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from testkit.service_app import ServiceHarness, service_harness
from testkit.webhook_target import webhook_target

from features.events import ProgressUpdateEvent
from learnloop.settings import NotificationSettings
from services.notifications.app import MODULE
from services.notifications.models import Base


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[ServiceHarness]:
    fast = NotificationSettings(backoff_base_s=0.05, backoff_max_s=0.5, poll_interval_s=0.05)
    with service_harness([MODULE], [Base.metadata], tmp_path, notifications=fast) as h:
        yield h


def mastered(learner: str) -> bytes:
    return (
        ProgressUpdateEvent(
            learner_id=learner,
            skill_id="fractions",
            mastery=0.97,
            previous_mastery=0.9,
            model_name="bkt",
            model_version="1",
            cause_event_id=uuid.uuid4(),
            timestamp=datetime(2024, 1, 15, tzinfo=UTC),
        )
        .model_dump_json()
        .encode()
    )


def test_event_to_webhook_survives_three_failures(harness: ServiceHarness) -> None:
    me = harness.auth("u1")
    with webhook_target(failures=3) as target:
        put = harness.client.put(
            "/notifications/preferences",
            json={"webhook_url": target.url, "webhook_enabled": True},
            headers=me,
        )
        assert put.status_code == 200 and put.json()["webhook_enabled"] is True
        topic = harness.platform.settings.kafka.progress_update_topic
        harness.bus.publish(topic, "u1", mastered("u1"))
        harness.bus.publish(topic, "u1", mastered("u1"))  # at-least-once redelivery
        deadline = time.monotonic() + 20
        while not target.succeeded and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # give a wrongly repeated send the chance to happen
    assert [r.status for r in target.received] == [500, 500, 500, 200]
    inbox = harness.client.get("/notifications", headers=me).json()
    assert inbox["count"] == 1 and inbox["unread"] == 1
    assert inbox["data"][0]["kind"] == "mastery_reached"
    admin = harness.auth("root", "admin")
    delivered = harness.client.get(
        "/notifications/deliveries", params={"status": "delivered"}, headers=admin
    ).json()["data"]
    assert len(delivered) == 1 and delivered[0]["attempts"] == 4


def test_inbox_read_and_preferences_validation(harness: ServiceHarness) -> None:
    me, other = harness.auth("u1"), harness.auth("u2")
    harness.bus.publish(harness.platform.settings.kafka.progress_update_topic, "u1", mastered("u1"))
    note = harness.client.get("/notifications", headers=me).json()["data"][0]
    assert (
        harness.client.post(f"/notifications/{note['id']}/read", headers=other).status_code == 404
    )
    read = harness.client.post(f"/notifications/{note['id']}/read", headers=me)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    bad = harness.client.put("/notifications/preferences", json={"quiet_start": "9pm"}, headers=me)
    assert bad.status_code == 422 and "quiet_start" in bad.text
    extra = harness.client.put("/notifications/preferences", json={"sms": True}, headers=me)
    assert extra.status_code == 422
    assert harness.client.get("/notifications").status_code == 401
    assert harness.client.get("/notifications/deliveries", headers=me).status_code == 403


def test_unsubscribe_link_needs_no_login(harness: ServiceHarness) -> None:
    service = harness.platform.resources["notifications.service"]
    url = service.unsubscribe_url("u1")
    token = url.split("token=", 1)[1]
    response = harness.client.get("/notifications/unsubscribe", params={"token": token})
    assert response.status_code == 200 and response.json() == {"user_id": "u1", "kind": None}
    prefs = harness.client.get("/notifications/preferences", headers=harness.auth("u1")).json()
    assert prefs["unsubscribed"] is True
    forged = harness.client.post("/notifications/unsubscribe", params={"token": token + "x"})
    assert forged.status_code == 422
