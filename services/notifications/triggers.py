"""Event-driven triggers: mastery reached, path step due, streak at risk.

Handlers are idempotent (dedupe keys, monotone streak updates) because the bus delivers at
least once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from features.events import (
    EventValidationError,
    LearningEvent,
    ProgressUpdateEvent,
    parse_learning_event,
    parse_progress_event,
)
from services.common.db import Database
from services.notifications.models import Kind, Streak
from services.notifications.service import NewNotification, NotificationService

MASTERY_THRESHOLD = 0.95
MIN_STREAK_DAYS = 2


class Triggers:
    """Turns platform events into notifications."""

    def __init__(
        self, service: NotificationService, db: Database, *, mastery_threshold: float = 0.95
    ) -> None:
        self.service, self.db, self.threshold = service, db, mastery_threshold

    def on_progress(self, event: ProgressUpdateEvent) -> str | None:
        """Notify when a skill's mastery crosses the threshold (once per learner and skill)."""
        before = event.previous_mastery if event.previous_mastery is not None else 0.0
        if not (before < self.threshold <= event.mastery):
            return None
        return self.service.notify(
            NewNotification(
                user_id=event.learner_id,
                kind=Kind.MASTERY_REACHED,
                title=f"You mastered {event.skill_id}",
                body=f"Your mastery of {event.skill_id} reached {event.mastery:.0%}. Well done!",
                dedupe_key=f"mastery:{event.learner_id}:{event.skill_id}",
                data={"skill_id": event.skill_id, "mastery": event.mastery},
            )
        )

    def on_learning_event(self, event: LearningEvent) -> None:
        """Extend or restart the learner's daily streak (replays and old events change nothing)."""
        day = event.timestamp.date()
        with self.db.session() as session:
            streak = session.get(Streak, event.learner_id)
            if streak is None:
                session.add(Streak(user_id=event.learner_id, last_active=day, days=1))
            elif day == streak.last_active + timedelta(days=1):
                streak.last_active, streak.days = day, streak.days + 1
            elif day > streak.last_active:
                streak.last_active, streak.days = day, 1

    def path_step_due(self, learner_id: str, step_id: str, title: str, due: datetime) -> str | None:
        """Remind a learner of the next step of their learning path (once per step)."""
        return self.service.notify(
            NewNotification(
                user_id=learner_id,
                kind=Kind.PATH_STEP_DUE,
                title=f"Next step: {title}",
                body=f"Your learning path continues with {title} (due {due:%Y-%m-%d %H:%M} UTC).",
                dedupe_key=f"path:{learner_id}:{step_id}",
                data={"step_id": step_id, "due": due.isoformat()},
            )
        )

    def scan_streaks(self, today: date) -> int:
        """Warn learners whose streak ends today unless they practise (once per day)."""
        with self.db.session() as session:
            at_risk = session.scalars(
                select(Streak).where(
                    Streak.last_active == today - timedelta(days=1),
                    Streak.days >= MIN_STREAK_DAYS,
                )
            ).all()
        sent = 0
        for streak in at_risk:
            created = self.service.notify(
                NewNotification(
                    user_id=streak.user_id,
                    kind=Kind.STREAK_AT_RISK,
                    title=f"Keep your {streak.days}-day streak going",
                    body="Practise today to keep your streak.",
                    dedupe_key=f"streak:{streak.user_id}:{today.isoformat()}",
                    data={"days": streak.days},
                )
            )
            sent += created is not None
        return sent

    # Bus handlers (raw message values). Invalid messages raise so the bus dead-letters them.
    def handle_progress(self, value: bytes) -> None:
        """``ProgressUpdateEvent`` topic handler."""
        self.on_progress(parse_progress_event(value))

    def handle_learning(self, value: bytes) -> None:
        """``LearningEventStream`` topic handler."""
        self.on_learning_event(parse_learning_event(value))


__all__ = ["EventValidationError", "Triggers"]
