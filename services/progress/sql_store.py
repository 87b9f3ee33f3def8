"""Relational progress store (SQLite by default, PostgreSQL in production)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from services.common.db import Database
from services.progress.models import LearnerState, Mastery, ProcessedEvent
from services.progress.store import LearnerSnapshot, SkillMastery, SkillUpdate, StaleStateError


def _public(row: Mastery) -> SkillMastery:
    return SkillMastery(
        learner_id=row.learner_id,
        skill_id=row.skill_id,
        mastery=row.mastery,
        attempts=row.attempts,
        correct=row.correct,
        model=row.model,
        updated_at=row.updated_at,
    )


class SqlProgressStore:
    """``pts_*`` tables; one transaction per applied event."""

    def __init__(self, db: Database):
        self.db = db

    def processed(self, learner_id: str, event_id: str) -> list[SkillUpdate] | None:
        with self.db.session() as session:
            row = session.get(ProcessedEvent, event_id)
            if row is None or row.learner_id != learner_id:
                return None
            return [SkillUpdate.from_dict(u) for u in row.updates]

    def load(self, learner_id: str, skills: list[str]) -> LearnerSnapshot:
        with self.db.session() as session:
            state = session.get(LearnerState, learner_id)
            rows = session.scalars(
                select(Mastery).where(
                    Mastery.learner_id == learner_id, Mastery.skill_id.in_(skills)
                )
            ).all()
            return LearnerSnapshot(
                state=state.state if state else None,
                version=state.version if state else 0,
                mastery={r.skill_id: _public(r) for r in rows},
            )

    def apply(
        self,
        *,
        event_id: str,
        learner_id: str,
        model: str,
        state: dict[str, Any],
        expected_version: int,
        updates: list[SkillUpdate],
        at: datetime,
    ) -> bool:
        try:
            with self.db.session() as session:
                session.add(
                    ProcessedEvent(
                        event_id=event_id,
                        learner_id=learner_id,
                        processed_at=at,
                        updates=[u.to_dict() for u in updates],
                    )
                )
                session.flush()
                if expected_version == 0:
                    session.add(
                        LearnerState(
                            learner_id=learner_id,
                            model=model,
                            state=state,
                            version=1,
                            updated_at=at,
                        )
                    )
                    session.flush()
                else:
                    result = session.execute(
                        update(LearnerState)
                        .where(
                            LearnerState.learner_id == learner_id,
                            LearnerState.version == expected_version,
                        )
                        .values(
                            state=state, model=model, version=expected_version + 1, updated_at=at
                        )
                    )
                    if int(getattr(result, "rowcount", 0) or 0) != 1:
                        raise StaleStateError(learner_id)
                for u in updates:
                    row = session.get(Mastery, (learner_id, u.skill_id))
                    if row is None:
                        row = Mastery(
                            learner_id=learner_id, skill_id=u.skill_id, attempts=0, correct=0
                        )
                        session.add(row)
                    row.mastery = u.mastery
                    row.attempts = (row.attempts or 0) + 1
                    row.correct = (row.correct or 0) + int(u.correct)
                    row.model = model
                    row.last_event_id = event_id
                    row.updated_at = at
        except IntegrityError:
            if self.processed(learner_id, event_id) is not None:
                return False
            raise StaleStateError(learner_id) from None
        return True

    def mastery(self, learner_id: str) -> list[SkillMastery]:
        with self.db.session() as session:
            rows = session.scalars(
                select(Mastery).where(Mastery.learner_id == learner_id).order_by(Mastery.skill_id)
            ).all()
            return [_public(r) for r in rows]

    def erase_learner(self, learner_id: str) -> int:
        deleted = 0
        with self.db.session() as session:
            for model in (Mastery, LearnerState, ProcessedEvent):
                result = session.execute(delete(model).where(model.learner_id == learner_id))
                deleted += int(getattr(result, "rowcount", 0) or 0)
        return deleted

    def ping(self) -> bool:
        return self.db.ping()
