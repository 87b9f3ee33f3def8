"""Assessment endpoints (``/assessments``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.concurrency import run_in_threadpool

from learnloop.web import problem_responses
from services.assessments import repository, service
from services.assessments.deps import OutboxDep, TopicDep
from services.assessments.from_catalog import fetch_items
from services.assessments.models import Attempt
from services.assessments.schemas import (
    AnswerCreate,
    AnswerResult,
    AssessmentCreate,
    AssessmentDetail,
    AssessmentsPublic,
    AssessmentUpdate,
    AttemptDetail,
    AttemptPublic,
    AttemptsPublic,
    FromCatalogCreate,
    HintPublic,
    ResponsePublic,
)
from services.common.audit import mark_record_owner
from services.common.deps import (
    CurrentPrincipal,
    IdPath,
    PlatformDep,
    SessionDep,
    allowed,
)
from services.common.errors import NotFoundError
from services.common.principal import Principal
from services.common.rbac import Action, authorize, is_allowed, owner_scope

router = APIRouter(
    prefix="/assessments", tags=["assessments"], responses=problem_responses(401, 403)
)
Author = Annotated[Principal, Depends(allowed(Action.ASSESSMENT_AUTHOR))]
Reader = Annotated[Principal, Depends(allowed(Action.ASSESSMENT_READ))]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=200)]


def _attempt(
    session: SessionDep,
    principal: Principal,
    attempt_id: IdPath,
    *,
    write: bool,
    request: Request | None = None,
) -> Attempt:
    """The attempt, after the RBAC check on its owner (learners: own attempts only); with
    ``request``, the owner is marked for the learner-record access audit."""
    attempt = repository.get_attempt(session, attempt_id=attempt_id)
    if attempt is None:
        raise NotFoundError(f"attempt {attempt_id} not found")
    if request is not None:
        mark_record_owner(request, attempt.learner_id)
    authorize(
        principal, Action.ATTEMPT_CREATE if write else Action.ATTEMPT_READ, attempt.learner_id
    )
    return attempt


def _committed(session: SessionDep, outbox: OutboxDep) -> None:
    session.commit()
    outbox.kick()


# attempts first: "/assessments/attempts" must not match "/assessments/{assessment_id}"


@router.get("/attempts", response_model=AttemptsPublic, summary="Attempts (learners: their own)")
def list_attempts(
    session: SessionDep,
    principal: CurrentPrincipal,
    learner_id: Annotated[str | None, Query(max_length=64)] = None,
    assessment_id: Annotated[str | None, Query(max_length=36)] = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> AttemptsPublic:
    scope = owner_scope(principal, Action.ATTEMPT_READ)
    if scope is not None and learner_id not in (None, scope):
        authorize(principal, Action.ATTEMPT_READ, learner_id)
    rows, count = repository.list_attempts(
        session,
        learner_id=scope or learner_id,
        assessment_id=assessment_id,
        offset=offset,
        limit=limit,
    )
    return AttemptsPublic(
        data=[service.attempt_public(a) for a in rows], count=count, limit=limit, offset=offset
    )


@router.get(
    "/attempts/{attempt_id}",
    response_model=AttemptDetail,
    responses=problem_responses(404),
    summary="An attempt",
)
def read_attempt(
    attempt_id: IdPath, session: SessionDep, principal: CurrentPrincipal, request: Request
) -> AttemptDetail:
    attempt = _attempt(session, principal, attempt_id, write=False, request=request)
    responses = [
        ResponsePublic(
            item_id=r.item_id,
            response=r.response,
            correct=r.correct,
            score=r.score,
            hints_used=r.hints_used,
            answered_at=r.answered_at,
        )
        for r in repository.list_responses(session, attempt_id=attempt.id)
    ]
    return AttemptDetail(**service.attempt_public(attempt).model_dump(), responses=responses)


@router.post(
    "/attempts/{attempt_id}/answers",
    response_model=AnswerResult,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 409),
    summary="Answer an item (graded at once; emits a LearningEvent)",
)
def answer(
    attempt_id: IdPath,
    data: AnswerCreate,
    session: SessionDep,
    principal: CurrentPrincipal,
    outbox: OutboxDep,
    topic: TopicDep,
) -> AnswerResult:
    attempt = _attempt(session, principal, attempt_id, write=True)
    row, _item = service.record_answer(
        session,
        attempt=attempt,
        item_id=data.item_id,
        response=data.response,
        duration_s=data.duration_s,
        topic=topic,
    )
    result = AnswerResult(
        item_id=row.item_id,
        correct=row.correct,
        score=row.score,
        hints_used=row.hints_used,
        event_id=row.event_id,
        attempt_score=attempt.score or 0.0,
        attempt_max_score=attempt.max_score,
    )
    _committed(session, outbox)
    return result


@router.post(
    "/attempts/{attempt_id}/items/{item_id}/hints",
    response_model=HintPublic,
    responses=problem_responses(404, 409),
    summary="The next hint of an item (step by step)",
)
def hint(
    attempt_id: IdPath,
    item_id: IdPath,
    session: SessionDep,
    principal: CurrentPrincipal,
    outbox: OutboxDep,
    topic: TopicDep,
) -> HintPublic:
    attempt = _attempt(session, principal, attempt_id, write=True)
    result = service.next_hint(session, attempt=attempt, item_id=item_id, topic=topic)
    _committed(session, outbox)
    return result


@router.post(
    "/attempts/{attempt_id}/submit",
    response_model=AttemptPublic,
    responses=problem_responses(404, 409),
    summary="Finish an attempt and get its score",
)
def submit(
    attempt_id: IdPath,
    session: SessionDep,
    principal: CurrentPrincipal,
    outbox: OutboxDep,
    topic: TopicDep,
) -> AttemptPublic:
    attempt = _attempt(session, principal, attempt_id, write=True)
    result = service.attempt_public(service.submit_attempt(session, attempt=attempt, topic=topic))
    _committed(session, outbox)
    return result


@router.post(
    "/from-catalog",
    response_model=AssessmentDetail,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 502),
    summary="Create an assessment from catalog exercises (each step becomes an item)",
)
async def create_from_catalog(
    data: FromCatalogCreate, request: Request, platform: PlatformDep, author: Author
) -> AssessmentDetail:
    headers = {"Authorization": request.headers.get("authorization", "")}
    async with platform.http_client(headers=headers) as client:
        items, _skills, attribution = await fetch_items(client, data.item_ids)

    def store() -> AssessmentDetail:
        with platform.db.session() as session:
            created = service.create_assessment(
                session,
                data=AssessmentCreate(
                    title=data.title,
                    time_limit_s=data.time_limit_s,
                    max_attempts=data.max_attempts,
                    items=items,
                ),
                author=author.subject,
                attribution=attribution,
            )
            return service.assessment_detail(session, assessment=created, with_answers=True)

    return await run_in_threadpool(store)


@router.post(
    "",
    response_model=AssessmentDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Create an assessment",
)
def create_assessment(
    data: AssessmentCreate, session: SessionDep, author: Author
) -> AssessmentDetail:
    assessment = service.create_assessment(session, data=data, author=author.subject)
    return service.assessment_detail(session, assessment=assessment, with_answers=True)


@router.get(
    "", response_model=AssessmentsPublic, summary="Assessments (published ones for learners)"
)
def list_assessments(
    session: SessionDep,
    principal: Reader,
    course_id: Annotated[str | None, Query(max_length=64)] = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> AssessmentsPublic:
    rows, count = repository.list_assessments(
        session,
        course_id=course_id,
        published_only=not is_allowed(principal, Action.ASSESSMENT_AUTHOR),
        offset=offset,
        limit=limit,
    )
    counts = repository.count_items(session, assessment_ids=[a.id for a in rows])
    return AssessmentsPublic(
        data=[service.assessment_public(a, counts.get(a.id, 0)) for a in rows],
        count=count,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/{assessment_id}",
    response_model=AssessmentDetail,
    responses=problem_responses(404),
    summary="An assessment with its items (answer keys for authors)",
)
def read_assessment(
    assessment_id: IdPath, session: SessionDep, principal: Reader
) -> AssessmentDetail:
    author = is_allowed(principal, Action.ASSESSMENT_AUTHOR)
    assessment = service.get_assessment_or_404(session, assessment_id=assessment_id, author=author)
    return service.assessment_detail(session, assessment=assessment, with_answers=author)


@router.patch(
    "/{assessment_id}",
    response_model=AssessmentDetail,
    responses=problem_responses(404),
    summary="Update an assessment",
)
def update_assessment(
    assessment_id: IdPath, data: AssessmentUpdate, session: SessionDep, _author: Author
) -> AssessmentDetail:
    assessment = service.get_assessment_or_404(session, assessment_id=assessment_id, author=True)
    service.update_assessment(session, assessment=assessment, data=data)
    return service.assessment_detail(session, assessment=assessment, with_answers=True)


@router.delete(
    "/{assessment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404),
    summary="Delete",
)
def delete_assessment(assessment_id: IdPath, session: SessionDep, _author: Author) -> None:
    session.delete(service.get_assessment_or_404(session, assessment_id=assessment_id, author=True))


@router.post(
    "/{assessment_id}/attempts",
    response_model=AttemptPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404, 409),
    summary="Start an attempt (as the caller)",
)
def start_attempt(
    assessment_id: IdPath, session: SessionDep, principal: CurrentPrincipal
) -> AttemptPublic:
    authorize(principal, Action.ATTEMPT_CREATE, principal.subject)
    assessment = service.get_assessment_or_404(
        session, assessment_id=assessment_id, author=is_allowed(principal, Action.ASSESSMENT_AUTHOR)
    )
    return service.attempt_public(
        service.start_attempt(session, assessment=assessment, learner_id=principal.subject)
    )
