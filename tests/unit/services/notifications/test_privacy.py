"""Data-subject requests: NS and integrations export and erase a user's data."""

from __future__ import annotations

from pathlib import Path

from services.common.db import Database
from services.integrations.models import Base as IntegrationBase
from services.integrations.models import Subscription
from services.integrations.privacy import IntegrationSubjectHandler
from services.notifications.models import Kind
from services.notifications.privacy import NotificationSubjectHandler
from services.notifications.service import NewNotification, NotificationService


def test_notifications_export_and_erase(service: NotificationService, db: Database) -> None:
    service.update_preferences("u1", {"email": "ada@example.org"})
    service.notify(NewNotification("u1", Kind.ANNOUNCEMENT, "Hi", "there", dedupe_key="a"))
    service.notify(NewNotification("u2", Kind.ANNOUNCEMENT, "Hi", "there", dedupe_key="b"))
    handler = NotificationSubjectHandler(db)
    exported = handler.export_subject("u1")
    assert exported["preferences"]["email"] == "ada@example.org"
    assert [n["title"] for n in exported["notifications"]] == ["Hi"]
    counts = handler.erase_subject("u1", "pn-x")
    assert counts == {
        "deliveries_deleted": 1,
        "notifications_deleted": 1,
        "preferences_deleted": 1,
        "streaks_deleted": 0,
    }
    assert handler.export_subject("u1") == {
        "preferences": None,
        "streak": None,
        "notifications": [],
    }
    assert service.inbox("u2").total == 1, "other users keep their data"


def test_integrations_export_and_erase(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'i.db'}")
    IntegrationBase.metadata.create_all(db.engine)
    with db.session() as session:
        session.add(Subscription(user_id="u1", status="active", customer_id="cus_1"))
    handler = IntegrationSubjectHandler(db)
    assert handler.export_subject("u1")["subscription"]["customer_id"] == "cus_1"
    assert handler.erase_subject("u1", "pn-x") == {"subscriptions_deleted": 1}
    assert handler.export_subject("u1") == {"subscription": None}
    db.dispose()
