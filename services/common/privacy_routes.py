"""The per-service privacy export endpoint (``GET /<service>/privacy/subjects/{subject_id}``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool

from learnloop.web import problem_responses
from services.common.deps import IdPath, PlatformDep, allowed_on_owner
from services.common.principal import Principal
from services.common.privacy import SubjectDataHandler
from services.common.rbac import Action


def privacy_router(prefix: str, tag: str, resource: str) -> APIRouter:
    """Router exporting what this service holds about a subject (self or admin)."""
    router = APIRouter(prefix=prefix, tags=[tag], responses=problem_responses(401, 403))

    @router.get(
        "/privacy/subjects/{subject_id}",
        response_model=dict[str, Any],
        summary=f"Everything the {tag} service holds about a subject (GDPR/CCPA access)",
    )
    async def export_subject(
        subject_id: IdPath,
        platform: PlatformDep,
        _principal: Annotated[
            Principal, Depends(allowed_on_owner(Action.PRIVACY_EXPORT, "subject_id"))
        ],
    ) -> dict[str, Any]:
        handler: SubjectDataHandler = platform.resources[resource]
        return await run_in_threadpool(handler.export_subject, subject_id)

    return router
