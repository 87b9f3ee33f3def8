"""CRM lifecycle webhooks: milestone events enqueued once, delivered signed with retries."""

from __future__ import annotations

import json
import time

from sqlalchemy import select
from testkit.webhook_target import webhook_target

from features.events import LearningEvent
from services.common.db import Database, utcnow
from services.integrations.crm import CrmNotifier, LifecycleFromEvents
from services.integrations.models import CrmDelivery
from services.notifications.delivery import (
    SIGNATURE_HEADER,
    Deliverer,
    WebhookSender,
    verify_signature,
)


def completed(verb: str = "completed") -> LearningEvent:
    return LearningEvent.model_validate(
        {
            "learner_id": "u1",
            "timestamp": "2024-01-15T10:00:00Z",
            "verb": verb,
            "object": {"id": "algebra-1", "type": "course", "course_id": "algebra-1"},
        }
    )


def test_milestones_are_enqueued_once_and_delivered_signed(db: Database) -> None:
    event = completed()
    with webhook_target(failures=2) as target:
        lifecycle = LifecycleFromEvents(db, CrmNotifier(target.url))
        assert lifecycle.on_learning_event(event)
        assert not lifecycle.on_learning_event(event), "redelivered bus message"
        lifecycle.handle(completed("answered").model_dump_json().encode())
        sender = WebhookSender(b"crm-secret", timeout_s=2)
        deliverer = Deliverer(db, CrmDelivery, {"webhook": sender}, base_s=0.05, clock=utcnow)
        deadline = time.monotonic() + 20
        while not target.succeeded and time.monotonic() < deadline:
            deliverer.run_once()
            time.sleep(0.02)
        sender.close()
    assert [r.status for r in target.received] == [500, 500, 200]
    ok = target.succeeded[0]
    assert verify_signature(b"crm-secret", ok.body, ok.headers[SIGNATURE_HEADER.lower()])
    body = json.loads(ok.body)
    assert body["type"] == "course.completed" and body["id"] == str(event.event_id)
    with db.session() as session:
        assert [d.status for d in session.scalars(select(CrmDelivery))] == ["delivered"]


def test_without_a_crm_url_nothing_is_enqueued(db: Database) -> None:
    assert not LifecycleFromEvents(db, CrmNotifier(None)).on_learning_event(completed())
