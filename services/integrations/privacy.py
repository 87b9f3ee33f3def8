"""Integration side of data-subject requests: the subscription state kept for a user."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from services.common.db import Database
from services.integrations.models import Subscription


class IntegrationSubjectHandler:
    """Exports and deletes the user's subscription state (Stripe keeps the billing records)."""

    store = "integrations"

    def __init__(self, db: Database) -> None:
        self.db = db

    def export_subject(self, subject_id: str) -> dict[str, Any]:
        with self.db.session() as session:
            row = session.get(Subscription, subject_id)
            if row is None:
                return {"subscription": None}
            return {
                "subscription": {
                    "customer_id": row.customer_id,
                    "subscription_id": row.subscription_id,
                    "status": row.status,
                    "price_id": row.price_id,
                    "current_period_end": row.current_period_end.isoformat()
                    if row.current_period_end
                    else None,
                    "updated_at": row.updated_at.isoformat(),
                }
            }

    def erase_subject(self, subject_id: str, pseudonym: str) -> dict[str, int]:
        with self.db.session() as session:
            result = session.execute(delete(Subscription).where(Subscription.user_id == subject_id))
            return {"subscriptions_deleted": int(getattr(result, "rowcount", 0) or 0)}
