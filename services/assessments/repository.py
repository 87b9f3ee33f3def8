"""AS data access (SQLAlchemy 2)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.assessments.models import Assessment, AssessmentItem, Attempt, HintUsage, Response


def get_assessment(session: Session, *, assessment_id: str) -> Assessment | None:
    """An assessment by id."""
    return session.get(Assessment, assessment_id)


def list_assessments(
    session: Session, *, course_id: str | None, published_only: bool, offset: int, limit: int
) -> tuple[list[Assessment], int]:
    """Assessments, newest first."""
    query = select(Assessment)
    if course_id:
        query = query.where(Assessment.course_id == course_id)
    if published_only:
        query = query.where(Assessment.published.is_(True))
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Assessment.created_at.desc(), Assessment.id).offset(offset).limit(limit)
    ).all()
    return list(rows), count


def list_items(session: Session, *, assessment_id: str) -> list[AssessmentItem]:
    """Items of an assessment in order."""
    return list(
        session.scalars(
            select(AssessmentItem)
            .where(AssessmentItem.assessment_id == assessment_id)
            .order_by(AssessmentItem.position)
        ).all()
    )


def count_items(session: Session, *, assessment_ids: list[str]) -> dict[str, int]:
    """Item counts per assessment."""
    if not assessment_ids:
        return {}
    rows = session.execute(
        select(AssessmentItem.assessment_id, func.count())
        .where(AssessmentItem.assessment_id.in_(assessment_ids))
        .group_by(AssessmentItem.assessment_id)
    )
    return {str(a): int(n) for a, n in rows}


def get_attempt(session: Session, *, attempt_id: str) -> Attempt | None:
    """An attempt by id."""
    return session.get(Attempt, attempt_id)


def count_attempts(session: Session, *, assessment_id: str, learner_id: str) -> int:
    """How many attempts a learner has started on an assessment."""
    return (
        session.scalar(
            select(func.count()).where(
                Attempt.assessment_id == assessment_id, Attempt.learner_id == learner_id
            )
        )
        or 0
    )


def list_attempts(
    session: Session,
    *,
    learner_id: str | None,
    assessment_id: str | None,
    offset: int,
    limit: int,
) -> tuple[list[Attempt], int]:
    """Attempts, newest first, optionally of one learner and/or assessment."""
    query = select(Attempt)
    if learner_id is not None:
        query = query.where(Attempt.learner_id == learner_id)
    if assessment_id is not None:
        query = query.where(Attempt.assessment_id == assessment_id)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Attempt.started_at.desc(), Attempt.id).offset(offset).limit(limit)
    ).all()
    return list(rows), count


def list_responses(session: Session, *, attempt_id: str) -> list[Response]:
    """Responses of an attempt in answer order."""
    return list(
        session.scalars(
            select(Response)
            .where(Response.attempt_id == attempt_id)
            .order_by(Response.answered_at, Response.id)
        ).all()
    )


def get_hint_usage(session: Session, *, attempt_id: str, item_id: str) -> HintUsage | None:
    """Hints seen for an item in an attempt."""
    return session.get(HintUsage, (attempt_id, item_id))


def recent_content_refs(session: Session, *, learner_id: str, limit: int) -> list[str]:
    """Content refs of the learner's latest ``limit`` answers that have one, newest first."""
    query = (
        select(AssessmentItem.content_ref)
        .join(Response, Response.item_id == AssessmentItem.id)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .where(Attempt.learner_id == learner_id, AssessmentItem.content_ref.is_not(None))
        .order_by(Response.answered_at.desc(), Response.id.desc())
        .limit(limit)
    )
    return [ref for ref in session.scalars(query) if ref]
