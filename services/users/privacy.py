"""UMS side of data-subject requests: start an erasure, erase UMS data, record each store."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from learnloop.settings import Settings
from services.common.db import Database, utcnow
from services.common.events import PRIVACY_REQUEST_TOPIC
from services.common.outbox import enqueue
from services.common.privacy import DataSubjectRequest, DataSubjectResult, consumer_state_stores
from services.users import repository
from services.users.models import AuditEntry, Outbox, PrivacyRequest
from services.users.schemas import PrivacyRequestPublic, StoreStatus
from services.users.service import export_user

# Every store that holds personal data answers each erasure request.
ERASURE_STORES = (
    "users",
    "catalog",
    "assessments",
    "progress",
    "notifications",
    "integrations",
    "lake",
    "feature_store",
    "training_data",
    "learning_paths",
)


def erasure_stores(settings: Settings) -> tuple[str, ...]:
    """The stores that answer each erasure request under ``settings``: with
    ``security.consumer_state_erasure: consumer`` also the feature consumers, each for its own
    state (one store per partition slice, ``ingest.features_instances``)."""
    if settings.security.consumer_state_erasure == "consumer":
        return (*ERASURE_STORES, *consumer_state_stores(settings.ingest.features_instances))
    return ERASURE_STORES


def consumer_state_urls(settings: Settings, subject_id: str) -> dict[str, str]:
    """Where the export reads the feature consumers' own state (``security.consumer_state_erasure:
    consumer``), per store: each slice's ``security.consumer_state_export_url``; empty
    otherwise (the gateway's feature-store export reads the shared state)."""
    security = settings.security
    if security.consumer_state_erasure != "consumer" or not security.consumer_state_export_url:
        return {}
    stores = consumer_state_stores(settings.ingest.features_instances)
    return {
        store: security.consumer_state_export_url.format(index=index, subject_id=subject_id)
        for index, store in enumerate(stores)
    }


def unexported_stores(settings: Settings) -> dict[str, str]:
    """Stores holding personal data that an export cannot read under ``settings``, with why:
    the feature consumers' own state when they keep it (``security.consumer_state_erasure:
    consumer``) and no ``security.consumer_state_export_url`` says where to ask them."""
    security = settings.security
    if security.consumer_state_erasure != "consumer" or security.consumer_state_export_url:
        return {}
    reason = (
        "kept on the feature consumer's own volume and security.consumer_state_export_url is "
        "not set: erasure reaches it, export does not"
    )
    return dict.fromkeys(consumer_state_stores(settings.ingest.features_instances), reason)


def request_erasure(
    session: Session,
    *,
    subject_id: str,
    pseudonym: str,
    actor: str,
    request_id: str | None,
    stores: Sequence[str] = ERASURE_STORES,
) -> PrivacyRequest:
    """Record the request and its audit entry, and queue the fan-out event (one transaction)."""
    request = DataSubjectRequest(subject_id=subject_id, pseudonym=pseudonym)
    row = PrivacyRequest(
        id=str(request.request_id),
        subject=pseudonym,
        requested_by=actor,
        requested_at=request.requested_at,
        stores={store: {"status": "pending"} for store in stores},
    )
    repository.add_privacy_request(session, request=row)
    repository.add_audit_entry(
        session,
        action="privacy.erasure_requested",
        actor=actor,
        subject=pseudonym,
        request_id=request_id,
        detail={"privacy_request": row.id, "stores": list(stores)},
    )
    enqueue(session, Outbox, PRIVACY_REQUEST_TOPIC, pseudonym, request.model_dump_json())
    return row


def record_access(db: Database, payload: bytes) -> None:
    """Write one ``LearnerRecordAccess`` event into the audit log (idempotent on its id)."""
    event = json.loads(payload)
    with db.session() as session:
        if session.get(AuditEntry, event["id"]) is not None:
            return
        entry = repository.add_audit_entry(
            session,
            action=event["action"],
            actor=event["actor"],
            subject=event["subject"],
            request_id=event.get("request_id"),
            detail=event.get("detail", {}),
        )
        entry.id = event["id"]


def record_result(db: Database, payload: bytes) -> None:
    """Store one store's answer on its request and in the audit log (idempotent)."""
    result = DataSubjectResult.model_validate_json(payload)
    with db.session() as session:
        row = repository.get_privacy_request(session, request_id=str(result.request_id))
        if row is None:
            return
        stores: dict[str, Any] = dict(row.stores)
        if stores.get(result.store, {}).get("status") == result.status:
            return
        stores[result.store] = {
            "status": result.status,
            "counts": result.counts,
            "detail": result.detail,
            "completed_at": result.completed_at.isoformat(),
        }
        row.stores = stores
        if all(s.get("status") != "pending" for s in stores.values()):
            row.completed_at = utcnow()
        repository.add_audit_entry(
            session,
            action=f"privacy.erasure_{result.status}",
            actor=f"store:{result.store}",
            subject=result.pseudonym,
            request_id=None,
            detail={"privacy_request": row.id, "store": result.store, "counts": result.counts},
        )


def to_public(row: PrivacyRequest) -> PrivacyRequestPublic:
    """The API view of a privacy request."""
    return PrivacyRequestPublic(
        request_id=row.id,
        subject=row.subject,
        requested_at=row.requested_at,
        completed_at=row.completed_at,
        stores={name: StoreStatus.model_validate(data) for name, data in row.stores.items()},
    )


class UsersSubjectHandler:
    """Erases the UMS records of a subject: the account and its sessions (deleted)."""

    store = "users"

    def __init__(self, db: Database):
        self.db = db

    def export_subject(self, subject_id: str) -> dict[str, Any]:
        with self.db.session() as session:
            return export_user(session, user_id=subject_id)

    def erase_subject(self, subject_id: str, pseudonym: str) -> dict[str, int]:
        with self.db.session() as session:
            deleted = repository.delete_user(session, user_id=subject_id)
        return {"deleted_rows": deleted}
