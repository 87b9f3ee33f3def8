"""AS side of data-subject requests: a learner's attempts and responses are deleted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from services.assessments.models import Assessment, Attempt, HintUsage, Outbox, Response
from services.common.db import Database


class AssessmentsSubjectHandler:
    """Deletes attempts (responses, hint usage); re-keys authored assessments to the pseudonym."""

    store = "assessments"

    def __init__(self, db: Database):
        self.db = db

    def export_subject(self, subject_id: str) -> dict[str, Any]:
        with self.db.session() as session:
            attempts = session.scalars(
                select(Attempt).where(Attempt.learner_id == subject_id)
            ).all()
            out = []
            for attempt in attempts:
                responses = session.scalars(
                    select(Response)
                    .where(Response.attempt_id == attempt.id)
                    .order_by(Response.answered_at)
                ).all()
                out.append(
                    {
                        "attempt_id": attempt.id,
                        "assessment_id": attempt.assessment_id,
                        "status": attempt.status,
                        "started_at": attempt.started_at.isoformat(),
                        "score": attempt.score,
                        "max_score": attempt.max_score,
                        "responses": [
                            {
                                "item_id": r.item_id,
                                "response": r.response,
                                "correct": r.correct,
                                "answered_at": r.answered_at.isoformat(),
                            }
                            for r in responses
                        ],
                    }
                )
            authored = session.scalars(
                select(Assessment.id).where(Assessment.created_by == subject_id)
            ).all()
            return {"attempts": out, "authored_assessments": list(authored)}

    def erase_subject(self, subject_id: str, pseudonym: str) -> dict[str, int]:
        with self.db.session() as session:
            ids = list(
                session.scalars(select(Attempt.id).where(Attempt.learner_id == subject_id)).all()
            )
            responses = 0
            if ids:
                result = session.execute(delete(Response).where(Response.attempt_id.in_(ids)))
                responses = int(getattr(result, "rowcount", 0) or 0)
                session.execute(delete(HintUsage).where(HintUsage.attempt_id.in_(ids)))
                session.execute(delete(Attempt).where(Attempt.id.in_(ids)))
            pending = session.execute(delete(Outbox).where(Outbox.key == subject_id))
            authored = session.execute(
                update(Assessment)
                .where(Assessment.created_by == subject_id)
                .values(created_by=pseudonym)
            )
        return {
            "attempts_deleted": len(ids),
            "responses_deleted": responses,
            "assessments_pseudonymized": int(getattr(authored, "rowcount", 0) or 0),
            "undelivered_events_dropped": int(getattr(pending, "rowcount", 0) or 0),
        }
