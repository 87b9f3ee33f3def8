"""AS domain logic: authoring, attempts with time limits, grading, hints, scoring, events."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from features.events import (
    EventContext,
    EventObject,
    EventResult,
    LearningEvent,
    ObjectType,
    Verb,
    catalog_item_of,
)
from features.streaming import encode
from services.assessments import repository
from services.assessments.grading import ResponseFormatError, grade
from services.assessments.models import (
    Assessment,
    AssessmentItem,
    Attempt,
    AttemptStatus,
    HintUsage,
    ItemKind,
    Outbox,
    Response,
)
from services.assessments.schemas import (
    AssessmentCreate,
    AssessmentDetail,
    AssessmentPublic,
    AssessmentUpdate,
    AttemptPublic,
    HintPublic,
    ItemCreate,
    ItemPublic,
)
from services.common.db import utcnow
from services.common.errors import ConflictError, InvalidInputError, NotFoundError
from services.common.outbox import enqueue

ANSWER_FIELDS = ("correct", "value", "tolerance", "accepted", "mode", "case_sensitive")


def answer_key(item: ItemCreate) -> dict[str, Any]:
    """The grading key of an authored item."""
    data = item.model_dump()
    return {k: data[k] for k in ANSWER_FIELDS if k in data}


def create_assessment(
    session: Session, *, data: AssessmentCreate, author: str | None, attribution: str | None = None
) -> Assessment:
    """An assessment with its items."""
    assessment = Assessment(
        id=str(uuid.uuid4()),
        title=data.title,
        description=data.description,
        course_id=data.course_id,
        time_limit_s=data.time_limit_s,
        max_attempts=data.max_attempts,
        published=data.published,
        attribution=attribution,
        created_by=author,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(assessment)
    for position, item in enumerate(data.items):
        session.add(
            AssessmentItem(
                id=str(uuid.uuid4()),
                assessment_id=assessment.id,
                position=position,
                kind=item.kind,
                prompt=item.prompt,
                choices=list(getattr(item, "choices", [])),
                answer=answer_key(item),
                hints=item.hints,
                skills=item.skills,
                points=item.points,
                content_ref=item.content_ref,
            )
        )
    session.flush()
    return assessment


def item_public(item: AssessmentItem, *, with_answer: bool) -> ItemPublic:
    """An item as the caller may see it."""
    return ItemPublic(
        id=item.id,
        position=item.position,
        kind=ItemKind(item.kind),
        prompt=item.prompt,
        choices=item.choices,
        skills=item.skills,
        points=item.points,
        hint_count=len(item.hints),
        content_ref=item.content_ref,
        answer=item.answer if with_answer else None,
    )


def assessment_public(assessment: Assessment, item_count: int) -> AssessmentPublic:
    """The summary view."""
    return AssessmentPublic(
        id=assessment.id,
        title=assessment.title,
        description=assessment.description,
        course_id=assessment.course_id,
        time_limit_s=assessment.time_limit_s,
        max_attempts=assessment.max_attempts,
        published=assessment.published,
        item_count=item_count,
        attribution=assessment.attribution,
        created_at=assessment.created_at,
    )


def assessment_detail(
    session: Session, *, assessment: Assessment, with_answers: bool
) -> AssessmentDetail:
    """The assessment with its items."""
    items = repository.list_items(session, assessment_id=assessment.id)
    return AssessmentDetail(
        **assessment_public(assessment, len(items)).model_dump(),
        items=[item_public(i, with_answer=with_answers) for i in items],
    )


def get_assessment_or_404(session: Session, *, assessment_id: str, author: bool) -> Assessment:
    """An assessment (unpublished ones only for authors)."""
    assessment = repository.get_assessment(session, assessment_id=assessment_id)
    if assessment is None or (not assessment.published and not author):
        raise NotFoundError(f"assessment {assessment_id} not found")
    return assessment


def update_assessment(
    session: Session, *, assessment: Assessment, data: AssessmentUpdate
) -> Assessment:
    """Apply changes."""
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is None and name in {"title", "description", "published"}:
            raise InvalidInputError(f"{name} cannot be null", field=name)
        setattr(assessment, name, value)
    assessment.updated_at = utcnow()
    return assessment


def attempt_public(attempt: Attempt) -> AttemptPublic:
    """The API view of an attempt."""
    return AttemptPublic.model_validate(attempt, from_attributes=True)


def start_attempt(session: Session, *, assessment: Assessment, learner_id: str) -> Attempt:
    """A new attempt (409 when the attempt limit is reached)."""
    if assessment.max_attempts is not None:
        used = repository.count_attempts(
            session, assessment_id=assessment.id, learner_id=learner_id
        )
        if used >= assessment.max_attempts:
            raise ConflictError(f"all {assessment.max_attempts} attempts used")
    now = utcnow()
    items = repository.list_items(session, assessment_id=assessment.id)
    attempt = Attempt(
        id=str(uuid.uuid4()),
        assessment_id=assessment.id,
        learner_id=learner_id,
        status=AttemptStatus.IN_PROGRESS.value,
        started_at=now,
        deadline=now + timedelta(seconds=assessment.time_limit_s)
        if assessment.time_limit_s
        else None,
        max_score=sum(i.points for i in items),
        score=0.0,
    )
    session.add(attempt)
    session.flush()
    return attempt


def ensure_open(session: Session, attempt: Attempt, now: datetime | None = None) -> None:
    """409 unless the attempt accepts answers; a passed deadline closes it for good."""
    now = now or utcnow()
    if attempt.status == AttemptStatus.IN_PROGRESS and attempt.deadline and now > attempt.deadline:
        attempt.status = AttemptStatus.EXPIRED.value
        attempt.submitted_at = attempt.deadline
        session.commit()  # the expiry stands even though this request fails
    if attempt.status != AttemptStatus.IN_PROGRESS:
        raise ConflictError(f"attempt is {attempt.status}; no more answers accepted")


def _item_of(session: Session, attempt: Attempt, item_id: str) -> AssessmentItem:
    item = session.get(AssessmentItem, item_id)
    if item is None or item.assessment_id != attempt.assessment_id:
        raise InvalidInputError(f"item {item_id} is not part of this assessment", field="item_id")
    return item


def _attempt_score(session: Session, attempt: Attempt) -> float:
    latest: dict[str, float] = {}
    points = {
        i.id: i.points for i in repository.list_items(session, assessment_id=attempt.assessment_id)
    }
    for response in repository.list_responses(session, attempt_id=attempt.id):
        latest[response.item_id] = response.score * points.get(response.item_id, 0.0)
    return sum(latest.values())


def _emit(session: Session, topic: str, event: LearningEvent) -> None:
    message = encode(event, topic)
    enqueue(session, Outbox, topic, event.learner_id, message.value.decode())


def _assessment_of(session: Session, attempt: Attempt) -> Assessment:
    assessment = repository.get_assessment(session, assessment_id=attempt.assessment_id)
    if assessment is None:
        raise NotFoundError(f"assessment {attempt.assessment_id} no longer exists")
    return assessment


def _object(item: AssessmentItem, assessment: Assessment) -> EventObject:
    object_id = item.content_ref or f"as-item:{item.id}"
    kind = ObjectType.STEP if item.content_ref and "/" in item.content_ref else ObjectType.PROBLEM
    return EventObject(id=object_id, type=kind, course_id=assessment.course_id)


def record_answer(
    session: Session,
    *,
    attempt: Attempt,
    item_id: str,
    response: str,
    duration_s: float | None,
    topic: str,
) -> tuple[Response, AssessmentItem]:
    """Grade, store, and queue the LearningEvent of one answer."""
    ensure_open(session, attempt)
    item = _item_of(session, attempt, item_id)
    try:
        result = grade(item.kind, item.answer, item.choices, response)
    except ResponseFormatError as exc:
        raise InvalidInputError(str(exc), field="response") from None
    usage = repository.get_hint_usage(session, attempt_id=attempt.id, item_id=item.id)
    hints_used = usage.shown if usage else 0
    now = utcnow()
    event = LearningEvent(
        learner_id=attempt.learner_id,
        timestamp=now,
        verb=Verb.ANSWERED,
        object=_object(item, _assessment_of(session, attempt)),
        skill_ids=item.skills,
        result=EventResult(
            correct=result.correct,
            score=result.score,
            duration_s=duration_s,
            response=response,
            hints_used=hints_used,
        ),
        context=EventContext(session_id=attempt.id, platform="learnloop", source="assessments"),
    )
    row = Response(
        id=str(uuid.uuid4()),
        attempt_id=attempt.id,
        item_id=item.id,
        response=response,
        correct=result.correct,
        score=result.score,
        hints_used=hints_used,
        duration_s=duration_s,
        answered_at=now,
        event_id=str(event.event_id),
    )
    session.add(row)
    session.flush()
    attempt.score = _attempt_score(session, attempt)
    _emit(session, topic, event)
    return row, item


def next_hint(session: Session, *, attempt: Attempt, item_id: str, topic: str) -> HintPublic:
    """Reveal the item's next hint (409 when none is left) and queue a hint_requested event."""
    ensure_open(session, attempt)
    item = _item_of(session, attempt, item_id)
    usage = repository.get_hint_usage(session, attempt_id=attempt.id, item_id=item.id)
    if usage is None:
        usage = HintUsage(attempt_id=attempt.id, item_id=item.id, shown=0)
        session.add(usage)
    if usage.shown >= len(item.hints):
        raise ConflictError(f"no more hints for item {item.id} ({len(item.hints)} shown)")
    index = usage.shown
    usage.shown += 1
    assessment = _assessment_of(session, attempt)
    _emit(
        session,
        topic,
        LearningEvent(
            learner_id=attempt.learner_id,
            timestamp=utcnow(),
            verb=Verb.HINT_REQUESTED,
            object=_object(item, assessment),
            skill_ids=item.skills,
            result=EventResult(hints_used=usage.shown),
            context=EventContext(session_id=attempt.id, platform="learnloop", source="assessments"),
        ),
    )
    return HintPublic(
        item_id=item.id,
        index=index,
        text=item.hints[index],
        remaining=len(item.hints) - usage.shown,
    )


def submit_attempt(session: Session, *, attempt: Attempt, topic: str) -> Attempt:
    """Close the attempt with its final score and queue a completed event."""
    ensure_open(session, attempt)
    attempt.score = _attempt_score(session, attempt)
    attempt.status = AttemptStatus.SUBMITTED.value
    attempt.submitted_at = utcnow()
    assessment = repository.get_assessment(session, assessment_id=attempt.assessment_id)
    scaled = attempt.score / attempt.max_score if attempt.max_score else 0.0
    _emit(
        session,
        topic,
        LearningEvent(
            learner_id=attempt.learner_id,
            timestamp=attempt.submitted_at,
            verb=Verb.COMPLETED,
            object=EventObject(
                id=f"assessment:{attempt.assessment_id}",
                type=ObjectType.ASSESSMENT,
                course_id=assessment.course_id if assessment else None,
            ),
            result=EventResult(score=min(1.0, max(0.0, scaled))),
            context=EventContext(session_id=attempt.id, platform="learnloop", source="assessments"),
        ),
    )
    return attempt


def recently_answered_items(session: Session, *, learner_id: str, limit: int = 50) -> list[str]:
    """Catalog ids of up to ``limit`` items the learner answered last, each once, oldest first
    (the ``history`` RES reads a learner's position from and does not repeat); an answer to a
    step counts for its item (``content_ref`` ``<catalog item>/<step>``)."""
    refs = repository.recent_content_refs(session, learner_id=learner_id, limit=4 * limit)
    newest_first = dict.fromkeys(catalog_item_of(ref) for ref in refs)
    return list(newest_first)[:limit][::-1]
