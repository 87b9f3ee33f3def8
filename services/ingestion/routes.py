"""``POST /events``: single or batch LearningEvents / xAPI statements → the event stream."""

from __future__ import annotations

from fastapi import APIRouter, status

from learnloop.web import ProblemError
from learnloop.web.problems import FieldProblem
from services.ingestion.deps import IngestionServiceDep, IngestSettingsDep
from services.ingestion.schemas import EventsAccepted, EventsIn, RejectedEvent
from services.ingestion.service import IngestUnavailableError

router = APIRouter(tags=["events"])


@router.post(
    "/events",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EventsAccepted,
    summary="Ingest learning events (single or batch; LearningEvent or xAPI)",
    responses={
        413: {"description": "Too many events in one request"},
        422: {"description": "No valid event: per-item field errors"},
        503: {"description": "Broker unreachable: nothing accepted, retry after Retry-After"},
    },
)
async def post_events(
    body: EventsIn, service: IngestionServiceDep, settings: IngestSettingsDep
) -> EventsAccepted:
    """Accepted events are durably on the stream when this answers 202."""
    items = body.root if isinstance(body.root, list) else [body.root]
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
