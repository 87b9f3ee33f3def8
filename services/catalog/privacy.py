"""CCS side of data-subject requests: LTI launches and scores, authorship of content."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from services.catalog.models import Course, Item, LtiLaunch, LtiScore, ScormPackage
from services.common.db import Database


class CatalogSubjectHandler:
    """Deletes a subject's LTI launches and scores; re-keys authored content to the pseudonym."""

    store = "catalog"

    def __init__(self, db: Database):
        self.db = db

    def export_subject(self, subject_id: str) -> dict[str, Any]:
        with self.db.session() as session:
            launches = session.scalars(
                select(LtiLaunch).where(LtiLaunch.learner_id == subject_id)
            ).all()
            scores = session.scalars(
                select(LtiScore).where(LtiScore.launch_id.in_([launch.id for launch in launches]))
            ).all()
            return {
                "lti_launches": [
                    {
                        "launch_id": launch.id,
                        "message_type": launch.message_type,
                        "roles": launch.roles,
                        "item_id": launch.item_id,
                        "context_id": launch.context_id,
                        "created_at": launch.created_at.isoformat(),
                    }
                    for launch in launches
                ],
                "lti_scores": [
                    {
                        "launch_id": s.launch_id,
                        "score_given": s.score_given,
                        "score_maximum": s.score_maximum,
                        "sent_at": s.sent_at.isoformat(),
                    }
                    for s in scores
                ],
                "authored_courses": list(
                    session.scalars(select(Course.id).where(Course.created_by == subject_id)).all()
                ),
                "authored_items": list(
                    session.scalars(select(Item.id).where(Item.created_by == subject_id)).all()
                ),
            }

    def erase_subject(self, subject_id: str, pseudonym: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self.db.session() as session:
            launch_ids = list(
                session.scalars(
                    select(LtiLaunch.id).where(LtiLaunch.learner_id == subject_id)
                ).all()
            )
            if launch_ids:
                session.execute(delete(LtiScore).where(LtiScore.launch_id.in_(launch_ids)))
                session.execute(delete(LtiLaunch).where(LtiLaunch.id.in_(launch_ids)))
            counts["lti_launches_deleted"] = len(launch_ids)
            for model, name in ((Course, "courses"), (Item, "items")):
                result = session.execute(
                    update(model).where(model.created_by == subject_id).values(created_by=pseudonym)
                )
                counts[f"{name}_pseudonymized"] = int(getattr(result, "rowcount", 0) or 0)
            result = session.execute(
                update(ScormPackage)
                .where(ScormPackage.uploaded_by == subject_id)
                .values(uploaded_by=pseudonym)
            )
            counts["scorm_packages_pseudonymized"] = int(getattr(result, "rowcount", 0) or 0)
        return counts
