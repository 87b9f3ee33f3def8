"""CRM / marketing-automation lifecycle webhooks, written to an outbox and delivered signed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from features.events import LearningEvent, Verb, parse_learning_event
from services.common.db import Database
from services.integrations.models import CrmDelivery
from services.notifications.delivery import new_delivery

MILESTONE_VERBS = {Verb.COMPLETED: "course.completed", Verb.MASTERED: "skill.mastered"}


class CrmNotifier:
    """Enqueues lifecycle events for the CRM webhook (no-op when no URL is configured)."""

    def __init__(self, url: str | None) -> None:
        self.url = url

    def enqueue(
        self,
        session: Session,
        event_type: str,
        user_id: str,
        data: dict[str, Any],
        at: datetime,
        *,
        event_id: str | None = None,
    ) -> CrmDelivery | None:
        """Add a delivery in the caller's transaction; its id is the lifecycle event's id."""
        if not self.url:
            return None
        event_id = event_id or str(uuid.uuid4())
        payload = {
            "id": event_id,
            "type": event_type,
            "occurred_at": at.isoformat(),
            "user_id": user_id,
            "data": data,
        }
        row = new_delivery(CrmDelivery, channel="webhook", target=self.url, payload=payload, at=at)
        row.id = event_id
        session.add(row)
        return row


class LifecycleFromEvents:
    """Bus handler: learning milestones become CRM lifecycle events (once per event id)."""

    def __init__(self, db: Database, crm: CrmNotifier) -> None:
        self.db, self.crm = db, crm

    def on_learning_event(self, event: LearningEvent) -> bool:
        """Enqueue a milestone webhook; False when the event is not a milestone or a repeat."""
        event_type = MILESTONE_VERBS.get(event.verb)
        if event_type is None or not self.crm.url:
            return False
        with self.db.session() as session:
            if session.get(CrmDelivery, str(event.event_id)) is not None:
                return False
            self.crm.enqueue(
                session,
                event_type,
                event.learner_id,
                {"object_id": event.object.id, "course_id": event.object.course_id},
                event.timestamp,
                event_id=str(event.event_id),
            )
        return True

    def handle(self, value: bytes) -> None:
        """``LearningEventStream`` topic handler."""
        self.on_learning_event(parse_learning_event(value))
