"""Inbox, preferences, quiet hours, unsubscribe and event triggers."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from features.events import LearningEvent, ProgressUpdateEvent
from services.common.db import Database
from services.common.errors import InvalidInputError, NotFoundError
from services.notifications.models import Delivery, Kind, Notification
from services.notifications.quiet import next_allowed
from services.notifications.service import NewNotification, NotificationService
from services.notifications.triggers import Triggers


def note(key: str, user: str = "u1", kind: Kind = Kind.ANNOUNCEMENT) -> NewNotification:
    return NewNotification(user, kind, f"title {key}", "body", dedupe_key=key)


def rows(db: Database, model: type) -> list:
    with db.session() as session:
        return list(session.scalars(select(model)))


def test_notify_writes_inbox_and_deliveries_once(service: NotificationService, db) -> None:
    service.update_preferences(
        "u1",
        {"email": "a@example.org", "webhook_url": "https://hooks.test/x", "webhook_enabled": True},
    )
    assert service.notify(note("k1")) is not None
    assert service.notify(note("k1")) is None, "same dedupe key: no second notification"
    assert len(rows(db, Notification)) == 1
    assert sorted(d.channel for d in rows(db, Delivery)) == ["email", "webhook"]


def test_muted_kind_and_unsubscribe(service: NotificationService, db) -> None:
    service.update_preferences("u1", {"email": "a@example.org", "muted_kinds": ["streak_at_risk"]})
    assert service.notify(note("s", kind=Kind.STREAK_AT_RISK)) is None
    token = service.unsubscribe_token("u1")
    assert service.unsubscribe(token) == ("u1", None)
    assert service.notify(note("a")) is not None
    assert rows(db, Delivery) == [], "unsubscribed: in-app only"
    kind_token = service.unsubscribe_token("u2", "mastery_reached")
    service.unsubscribe(kind_token)
    assert service.preferences("u2").muted_kinds == ["mastery_reached"]
    with pytest.raises(InvalidInputError, match="invalid unsubscribe token"):
        service.unsubscribe(token[:-2] + ("00" if not token.endswith("00") else "11"))
    with pytest.raises(InvalidInputError, match="malformed"):
        service.unsubscribe("garbage")


def test_quiet_hours_defer_external_deliveries(service: NotificationService, db, clock) -> None:
    clock.now = datetime(2024, 1, 15, 22, 30, tzinfo=UTC)  # 23:30 in Paris (UTC+1)
    service.update_preferences(
        "u1",
        {
            "email": "a@example.org",
            "quiet_start": "22:00",
            "quiet_end": "07:00",
            "timezone": "Europe/Paris",
        },
    )
    service.notify(note("q"))
    (delivery,) = rows(db, Delivery)
    assert delivery.next_attempt_at == datetime(2024, 1, 16, 6, 0, tzinfo=UTC)
    assert service.inbox("u1").unread == 1, "the inbox entry is immediate"


def test_next_allowed_windows() -> None:
    noon = datetime(2024, 6, 1, 12, tzinfo=UTC)
    assert next_allowed(noon, None, None, "UTC") == noon
    assert next_allowed(noon, "09:00", "17:00", "UTC") == datetime(2024, 6, 1, 17, tzinfo=UTC)
    assert next_allowed(noon, "22:00", "07:00", "UTC") == noon


def test_inbox_paging_and_read_state(service: NotificationService, clock) -> None:
    for i in range(5):
        service.notify(note(f"n{i}"))
        clock.advance(60)
    service.notify(note("other", user="u2"))
    page = service.inbox("u1", limit=2, offset=0)
    assert page.total == 5 and page.unread == 5
    assert [n.title for n in page.items] == ["title n4", "title n3"]
    read = service.mark_read("u1", page.items[0].id)
    assert read.read_at is not None
    assert service.inbox("u1", unread_only=True).total == 4
    other = service.inbox("u2").items[0]
    with pytest.raises(NotFoundError):
        service.mark_read("u1", other.id)
    assert service.mark_all_read("u1") == 4
    assert service.inbox("u1").unread == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"quiet_start": "25:00", "quiet_end": "07:00"}, "quiet_start='25:00' is invalid"),
        ({"timezone": "Mars/Olympus"}, "not an IANA time zone"),
        ({"webhook_url": "ftp://x"}, "must be http"),
        ({"muted_kinds": ["spam"]}, "unknown kind"),
        ({"colour": "red"}, "unknown preference"),
        ({"quiet_start": "22:00"}, "set both quiet_start and quiet_end"),
    ],
)
def test_preference_validation(service: NotificationService, changes, message) -> None:
    with pytest.raises(InvalidInputError, match=message):
        service.update_preferences("u1", changes)


def progress(
    mastery: float, previous: float | None, skill: str = "fractions"
) -> ProgressUpdateEvent:
    return ProgressUpdateEvent(
        learner_id="u1",
        skill_id=skill,
        mastery=mastery,
        previous_mastery=previous,
        model_name="bkt",
        model_version="1",
        cause_event_id=uuid.uuid4(),
        timestamp=datetime(2024, 1, 15, tzinfo=UTC),
    )


def test_mastery_trigger_fires_once_on_crossing(service: NotificationService, db: Database) -> None:
    triggers = Triggers(service, db)
    assert triggers.on_progress(progress(0.80, 0.60)) is None
    assert triggers.on_progress(progress(0.97, 0.80)) is not None
    assert triggers.on_progress(progress(0.97, 0.80)) is None, "replayed event"
    triggers.handle_progress(progress(0.99, 0.5, skill="decimals").model_dump_json().encode())
    assert sorted(n.data["skill_id"] for n in rows(db, Notification)) == ["decimals", "fractions"]


def answered(day: date) -> LearningEvent:
    return LearningEvent.model_validate(
        {
            "learner_id": "u1",
            "timestamp": datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
            "verb": "answered",
            "object": {"id": "q1"},
        }
    )


def test_streaks_and_streak_at_risk(service: NotificationService, db: Database) -> None:
    triggers = Triggers(service, db)
    monday = date(2024, 1, 15)
    for day in (monday, monday, monday + timedelta(days=1)):
        triggers.handle_learning(answered(day).model_dump_json().encode())
    triggers.on_learning_event(answered(monday - timedelta(days=3)))  # late, old: ignored
    wednesday = monday + timedelta(days=2)
    assert triggers.scan_streaks(wednesday) == 1
    assert triggers.scan_streaks(wednesday) == 0, "once per day"
    assert triggers.scan_streaks(wednesday + timedelta(days=1)) == 0, "streak already broken"
    (warning,) = rows(db, Notification)
    assert warning.kind == "streak_at_risk" and warning.data == {"days": 2}


def test_path_step_due(service: NotificationService, db: Database) -> None:
    triggers = Triggers(service, db)
    due = datetime(2024, 1, 16, 9, tzinfo=UTC)
    assert triggers.path_step_due("u1", "step-3", "Fractions II", due) is not None
    assert triggers.path_step_due("u1", "step-3", "Fractions II", due) is None
