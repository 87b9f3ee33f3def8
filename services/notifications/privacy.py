"""NS side of data-subject requests: inbox, deliveries, preferences (e-mail, webhook), streak."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from services.common.db import Database
from services.notifications.models import Delivery, Notification, Preference, Streak


class NotificationSubjectHandler:
    """Exports and deletes everything NS holds about a user."""

    store = "notifications"

    def __init__(self, db: Database) -> None:
        self.db = db

    def export_subject(self, subject_id: str) -> dict[str, Any]:
        with self.db.session() as session:
            pref = session.get(Preference, subject_id)
            streak = session.get(Streak, subject_id)
            notes = session.scalars(
                select(Notification).where(Notification.user_id == subject_id)
            ).all()
            return {
                "preferences": None
                if pref is None
                else {
                    "email": pref.email,
                    "webhook_url": pref.webhook_url,
                    "email_enabled": pref.email_enabled,
                    "webhook_enabled": pref.webhook_enabled,
                    "muted_kinds": pref.muted_kinds,
                    "quiet_start": pref.quiet_start,
                    "quiet_end": pref.quiet_end,
                    "timezone": pref.timezone,
                    "unsubscribed": pref.unsubscribed,
                },
                "streak": None
                if streak is None
                else {"last_active": streak.last_active.isoformat(), "days": streak.days},
                "notifications": [
                    {
                        "id": n.id,
                        "kind": n.kind,
                        "title": n.title,
                        "body": n.body,
                        "created_at": n.created_at.isoformat(),
                        "read_at": n.read_at.isoformat() if n.read_at else None,
                    }
                    for n in notes
                ],
            }

    def erase_subject(self, subject_id: str, pseudonym: str) -> dict[str, int]:
        with self.db.session() as session:
            ids = list(
                session.scalars(select(Notification.id).where(Notification.user_id == subject_id))
            )

            def deleted(statement: Any) -> int:
                return int(getattr(session.execute(statement), "rowcount", 0) or 0)

            return {
                "deliveries_deleted": deleted(
                    delete(Delivery).where(Delivery.notification_id.in_(ids))
                ),
                "notifications_deleted": deleted(
                    delete(Notification).where(Notification.user_id == subject_id)
                ),
                "preferences_deleted": deleted(
                    delete(Preference).where(Preference.user_id == subject_id)
                ),
                "streaks_deleted": deleted(delete(Streak).where(Streak.user_id == subject_id)),
            }
