"""Audit of access to learner records by another person (FERPA/GDPR accountability).

:class:`LearnerAccessAuditMiddleware` runs in every service app. After a request by an
authenticated caller it finds whose record was touched — a ``learner_id``/``user_id``/
``subject_id`` path or query parameter, or an owner a route marked with
:func:`mark_record_owner` (e.g. an attempt read by id) — and when that is someone else it
publishes one ``LearnerRecordAccess`` event (pseudonyms only). The identity service writes
each into its audit log (idempotent on the event id), whichever service was called.
"""

from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs

from anyio import to_thread
from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from learnloop.log import request_id_var
from services.common.deps import PRINCIPAL_STATE_KEY
from services.common.platform import Platform
from services.common.principal import Principal

AUDIT_TOPIC = "LearnerRecordAccess"
OWNER_STATE_KEY = "record_owner"
SUBJECT_PARAMS = ("learner_id", "user_id", "subject_id")
READS = frozenset({"GET", "HEAD"})


def mark_record_owner(request: Request, owner_id: str) -> None:
    """Tell the audit middleware whose record this request touched."""
    request.scope.setdefault("state", {})[OWNER_STATE_KEY] = owner_id


def record_owner(scope: Scope) -> str | None:
    """The learner whose record the request addressed, if any."""
    marked = scope.get("state", {}).get(OWNER_STATE_KEY)
    if marked:
        return str(marked)
    params = scope.get("path_params") or {}
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    for name in SUBJECT_PARAMS:
        value = params.get(name) or (query.get(name) or [None])[0]
        if value:
            return str(value)
    return None


class LearnerAccessAuditMiddleware:
    """Publish an audit event for every access by one person to another person's record."""

    def __init__(self, app: ASGIApp, *, platform: Platform):
        self.app = app
        self.platform = platform

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            principal = scope.get("state", {}).get(PRINCIPAL_STATE_KEY)
            owner = record_owner(scope) if isinstance(principal, Principal) else None
            if owner is not None and owner != principal.subject:
                await to_thread.run_sync(self._publish, scope, principal, owner, status)

    def _publish(self, scope: Scope, principal: Principal, owner: str, status: int) -> None:
        route = getattr(scope.get("route"), "path", scope.get("path", ""))
        method = scope.get("method", "")
        subject = self.platform.pseudonym(owner)
        event = {
            "id": str(uuid.uuid4()),
            "action": "learner_record." + ("read" if method in READS else "write"),
            "actor": self.platform.pseudonym(principal.subject),
            "subject": subject,
            "request_id": request_id_var.get(),
            "detail": {
                "method": method,
                "route": route,
                "status": status,
                "granted": status < 400,
                "roles": sorted(principal.roles),
            },
        }
        self.platform.bus.publish(AUDIT_TOPIC, subject, json.dumps(event).encode())
