"""``POST /events``: single or batch LearningEvents / xAPI statements → the event stream."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status

from learnloop.settings import get_settings
from learnloop.web import ProblemError
from learnloop.web.problems import FieldProblem
from services.common.deps import PRINCIPAL_STATE_KEY
from services.common.principal import Principal
from services.common.rbac import Action, is_allowed
from services.ingestion.deps import IngestionServiceDep, IngestSettingsDep
from services.ingestion.schemas import EventsAccepted, EventsIn, RejectedEvent
from services.ingestion.service import IngestUnavailableError

router = APIRouter(tags=["events"])


def check_sender(request: Request, items: list[Any]) -> None:
    """Learners post only their own events; anonymous posts only while
    ``security.events_require_auth`` is off (the caller was verified by the gateway)."""
    principal = request.scope.get("state", {}).get(PRINCIPAL_STATE_KEY)
    if not isinstance(principal, Principal):
        if get_settings().security.events_require_auth:
            raise ProblemError(
                401, "posting events needs a bearer token", slug="unauthorized",
                headers={"WWW-Authenticate": "Bearer"},
            )  # fmt: skip
        return
    foreign = [
        index
        for index, item in enumerate(items)
        if not is_allowed(
            principal,
            Action.EVENTS_WRITE,
            item.get("learner_id") if isinstance(item, dict) else None,
        )
    ]
    if foreign:
        raise ProblemError(
            403, f"events of other learners (items {foreign[:10]}) need a staff role",
            slug="forbidden",
        )  # fmt: skip


@router.post(
    "/events",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EventsAccepted,
    summary="Ingest learning events (single or batch; LearningEvent or xAPI)",
    responses={
        401: {"description": "No bearer token while events_require_auth is on"},
        403: {"description": "A learner posted another learner's events"},
        413: {"description": "Too many events in one request"},
        422: {"description": "No valid event: per-item field errors"},
        503: {"description": "Broker unreachable: nothing accepted, retry after Retry-After"},
    },
)
async def post_events(
    body: EventsIn, request: Request, service: IngestionServiceDep, settings: IngestSettingsDep
) -> EventsAccepted:
    """Accepted events are durably on the stream when this answers 202."""
    items = body.root if isinstance(body.root, list) else [body.root]
    check_sender(request, items)
    if not items:
        raise ProblemError(422, "the request holds no events", slug="no-events")
    if len(items) > settings.max_batch:
        raise ProblemError(
            413,
            f"{len(items)} events in one request; at most {settings.max_batch}",
            slug="batch-too-large",
        )
    try:
        result = await service.ingest(items)
    except IngestUnavailableError:
        raise ProblemError(
            503,
            "the event stream is unavailable; nothing was accepted, retry later",
            slug="stream-unavailable",
            headers={"Retry-After": str(settings.retry_after_s)},
        ) from None
    rejected = [RejectedEvent(index=r.index, errors=r.errors) for r in result.rejected]
    if not result.accepted:
        errors = [
            FieldProblem(
                field=f"{r.index}.{e.field}" if len(items) > 1 else e.field, reason=e.reason
            )
            for r in rejected
            for e in r.errors
        ]
        raise ProblemError(
            422, "no valid event in the request", slug="invalid-events", errors=errors
        )
    return EventsAccepted(
        accepted=len(result.accepted),
        rejected=len(rejected),
        event_ids=[e.event_id for e in result.accepted],
        errors=rejected,
    )
