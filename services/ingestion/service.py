"""Validate incoming events and hand them durably to the broker.

An event counts as accepted only once the broker acknowledged it (idempotent producer,
``acks=all``): if the broker cannot be reached within ``delivery_timeout_s`` nothing is
reported as accepted and the caller gets :class:`IngestUnavailableError` (HTTP 503 +
Retry-After). Retrying a request is safe when events carry their ``event_id``: every consumer
dedupes on it. (A transactional outbox was not chosen: waiting for the acknowledgement keeps
one source of truth, the topic, and costs ~ms per request.)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter

from features.events import EventValidationError, LearningEvent, parse_learning_event
from features.streaming import DeliveryError, EventProducer, encode
from features.xapi import is_xapi_statement, statement_to_event
from learnloop.web.problems import FieldProblem

logger = logging.getLogger(__name__)
INGESTED = Counter(
    "learnloop_ingest_events_total",
    "Events received by POST /events, by outcome (accepted, rejected, unavailable).",
    ["outcome"],
)


class IngestUnavailableError(RuntimeError):
    """The broker did not acknowledge in time; nothing was accepted. Retry later."""


@dataclass(frozen=True)
class Rejection:
    """Input item ``index`` is invalid."""

    index: int
    errors: list[FieldProblem]


@dataclass(frozen=True)
class IngestResult:
    """Accepted events (in order) and rejected items."""

    accepted: list[LearningEvent]
    rejected: list[Rejection]


def parse_item(item: Any) -> LearningEvent:
    """A LearningEvent from a LearningEvent document or an xAPI statement."""
    if is_xapi_statement(item):
        return statement_to_event(item)
    return parse_learning_event(item)


def validate_items(items: Sequence[Any]) -> IngestResult:
    """Split input items into valid events and per-item field errors."""
    accepted, rejected = [], []
    for index, item in enumerate(items):
        try:
            accepted.append(parse_item(item))
        except EventValidationError as exc:
            problems = [FieldProblem(field=e.field, reason=e.reason) for e in exc.errors]
            rejected.append(Rejection(index, problems))
    return IngestResult(accepted, rejected)


class IngestionService:
    """Validates and produces LearningEvents to ``topic``."""

    def __init__(self, producer: EventProducer, topic: str):
        self.producer = producer
        self.topic = topic

    async def ingest(self, items: Sequence[Any]) -> IngestResult:
        """Validate ``items`` and wait until the broker acknowledged the valid ones."""
        result = validate_items(items)
        INGESTED.labels("rejected").inc(len(result.rejected))
        if result.accepted:
            try:
                await self.producer.send_all_async(
                    [encode(event, self.topic) for event in result.accepted]
                )
            except DeliveryError as exc:
                INGESTED.labels("unavailable").inc(len(result.accepted))
                logger.warning(
                    "broker unavailable, %d events refused: %s", len(result.accepted), exc
                )
                raise IngestUnavailableError(str(exc)) from None
            INGESTED.labels("accepted").inc(len(result.accepted))
        logger.info(
            "ingested events",
            extra={"accepted": len(result.accepted), "rejected": len(result.rejected)},
        )
        return result

    async def available(self) -> bool:
        """Readiness: the broker answers metadata requests."""
        from anyio import to_thread

        return await to_thread.run_sync(self.producer.available)
