"""GDPR/CCPA data-subject requests: export everything about a subject, erase it everywhere.

Erasure fans out through the ``DataSubjectRequest`` topic: each store that holds personal data
registers a :class:`SubjectDataHandler`; its consumer group erases (or pseudonymizes) the
subject and answers on ``DataSubjectRequestResult``, which the identity service records in its
audit log. Handlers are idempotent: erasing twice is harmless.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from services.common.db import utcnow
from services.common.events import PRIVACY_REQUEST_TOPIC, PRIVACY_RESULT_TOPIC, EventBus

logger = logging.getLogger(__name__)


CONSUMER_STATE_STORE = "feature_consumer_state"


def consumer_state_stores(instances: int) -> tuple[str, ...]:
    """The stores under which the feature consumers answer for their own state: one, or one per
    partition slice (``feature_consumer_state-<index>``) when ``instances`` > 1."""
    if instances == 1:
        return (CONSUMER_STATE_STORE,)
    return tuple(f"{CONSUMER_STATE_STORE}-{index}" for index in range(instances))


class PrivacyAction(StrEnum):
    """What a data-subject request asks for."""

    ERASE = "erase"


class DataSubjectRequest(BaseModel):
    """Erase everything about ``subject_id`` (published by the identity service)."""

    request_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    subject_id: str
    pseudonym: str = Field(description="What erased records are re-keyed to where kept.")
    action: PrivacyAction = PrivacyAction.ERASE
    requested_at: datetime = Field(default_factory=utcnow)


class DataSubjectResult(BaseModel):
    """One store's answer to a request (carries the pseudonym only, never the subject id)."""

    request_id: uuid.UUID
    pseudonym: str
    store: str
    status: Literal["done", "failed", "not_supported"]
    counts: dict[str, int] = Field(default_factory=dict)
    detail: str | None = None
    completed_at: datetime = Field(default_factory=utcnow)


class SubjectDataHandler(Protocol):
    """A store holding personal data: export it, erase it."""

    store: str

    def export_subject(self, subject_id: str) -> dict[str, Any]:
        """Everything this store holds about the subject, JSON-compatible."""

    def erase_subject(self, subject_id: str, pseudonym: str) -> dict[str, int]:
        """Delete or pseudonymize the subject's data; return counts per record kind."""


class NotSupportedError(RuntimeError):
    """The store cannot erase yet (its deletion hook is missing); reported, not hidden."""


def pseudonymize(secret: bytes, subject_id: str) -> str:
    """Stable keyed pseudonym of a subject id (HMAC-SHA256), usable as a learner id."""
    digest = hmac.new(secret, subject_id.encode(), hashlib.sha256).hexdigest()
    return f"pn-{digest[:32]}"


def handle_request(bus: EventBus, handler: SubjectDataHandler, payload: bytes) -> None:
    """Run one store's erasure for a request and publish its result."""
    request = DataSubjectRequest.model_validate_json(payload)
    try:
        counts = handler.erase_subject(request.subject_id, request.pseudonym)
        result = DataSubjectResult(
            request_id=request.request_id,
            pseudonym=request.pseudonym,
            store=handler.store,
            status="done",
            counts=counts,
        )
    except NotSupportedError as exc:
        result = DataSubjectResult(
            request_id=request.request_id,
            pseudonym=request.pseudonym,
            store=handler.store,
            status="not_supported",
            detail=str(exc),
        )
    logger.info("privacy: %s handled request %s", handler.store, request.request_id)
    bus.publish(PRIVACY_RESULT_TOPIC, request.pseudonym, result.model_dump_json().encode())


def subscribe_handler(bus: EventBus, handler: SubjectDataHandler, *, group: str = "") -> None:
    """Subscribe ``handler`` to erasure requests (consumer group ``group``, by default
    ``privacy-<store>``; a store kept per process needs a group per process)."""
    bus.subscribe(
        PRIVACY_REQUEST_TOPIC,
        group or f"privacy-{handler.store}",
        lambda payload: handle_request(bus, handler, payload),
    )
