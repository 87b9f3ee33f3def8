"""UMS user endpoints: own profile, administration, roles, privacy export and erasure, audit."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.concurrency import run_in_threadpool

from learnloop.log import request_id_var
from learnloop.web import problem_responses
from services.common.db import utcnow
from services.common.deps import (
    CurrentPrincipal,
    IdPath,
    PlatformDep,
    SessionDep,
    allowed,
    allowed_on_owner,
)
from services.common.errors import NotFoundError
from services.common.principal import Principal, Role
from services.common.rbac import Action, authorize
from services.users import privacy, repository, service
from services.users.deps import OutboxDep, PasswordsDep, SubjectsDep
from services.users.schemas import (
    AuditEntryPublic,
    AuditPage,
    PrivacyRequestPublic,
    RolesUpdate,
    SubjectExport,
    UserPublic,
    UsersPublic,
    UserUpdate,
)

router = APIRouter(tags=["users"], responses=problem_responses(401, 403))

# Where each service serves what it holds about a subject (through the gateway).
EXPORT_SOURCES = {
    "catalog": "/catalog/privacy/subjects/{subject_id}",
    "assessments": "/assessments/privacy/subjects/{subject_id}",
    "progress": "/progress/privacy/subjects/{subject_id}",
    "notifications": "/notifications/privacy/subjects/{subject_id}",
    "integrations": "/integrations/privacy/subjects/{subject_id}",
    "lake": "/data-platform/lake/privacy/subjects/{subject_id}",
    "feature_store": "/data-platform/feature-store/privacy/subjects/{subject_id}",
    "training_data": "/data-platform/training-data/privacy/subjects/{subject_id}",
    "learning_paths": "/learning-paths/privacy/subjects/{subject_id}",
}


def _own_user(session: SessionDep, principal: Principal) -> UserPublic:
    if principal.federated:
        return service.to_public(service.ensure_federated_user(session, principal=principal))
    return service.to_public(service.get_user_or_404(session, user_id=principal.subject))


@router.get("/users/me", response_model=UserPublic, summary="The caller's profile")
def read_me(principal: CurrentPrincipal, session: SessionDep) -> UserPublic:
    return _own_user(session, principal)


@router.patch(
    "/users/me",
    response_model=UserPublic,
    responses=problem_responses(404),
    summary="Update own profile",
)
def update_me(
    data: UserUpdate, principal: CurrentPrincipal, session: SessionDep, passwords: PasswordsDep
) -> UserPublic:
    _own_user(session, principal)
    user = service.get_user_or_404(session, user_id=principal.subject)
    return service.to_public(
        service.update_user(session, user=user, data=data, passwords=passwords)
    )


@router.get("/users", response_model=UsersPublic, summary="List users (admin)")
def list_users(
    session: SessionDep,
    _principal: Annotated[Principal, Depends(allowed(Action.USER_LIST))],
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> UsersPublic:
    users, count = repository.list_users(session, offset=offset, limit=limit)
    return UsersPublic(data=[service.to_public(u) for u in users], count=count)


@router.get(
    "/users/{user_id}",
    response_model=UserPublic,
    responses=problem_responses(404),
    summary="A user's profile (self or admin)",
)
def read_user(
    user_id: IdPath,
    session: SessionDep,
    _principal: Annotated[Principal, Depends(allowed_on_owner(Action.USER_READ, "user_id"))],
) -> UserPublic:
    return service.to_public(service.get_user_or_404(session, user_id=user_id))


@router.patch(
    "/users/{user_id}",
    response_model=UserPublic,
    responses=problem_responses(404),
    summary="Update a user's profile (self or admin)",
)
def update_user(
    user_id: IdPath,
    data: UserUpdate,
    session: SessionDep,
    passwords: PasswordsDep,
    _principal: Annotated[Principal, Depends(allowed_on_owner(Action.USER_UPDATE, "user_id"))],
) -> UserPublic:
    user = service.get_user_or_404(session, user_id=user_id)
    return service.to_public(
        service.update_user(session, user=user, data=data, passwords=passwords)
    )


@router.put(
    "/users/{user_id}/roles",
    response_model=UserPublic,
    responses=problem_responses(404),
    summary="Replace a user's roles (admin)",
)
def set_roles(
    user_id: IdPath,
    data: RolesUpdate,
    session: SessionDep,
    platform: PlatformDep,
    principal: Annotated[Principal, Depends(allowed(Action.USER_SET_ROLES))],
) -> UserPublic:
    user = service.get_user_or_404(session, user_id=user_id)
    before = list(user.roles)
    user.roles = sorted({Role(r).value for r in data.roles})
    repository.add_audit_entry(
        session,
        action="user.roles_changed",
        actor=platform.pseudonym(principal.subject),
        subject=platform.pseudonym(user_id),
        request_id=request_id_var.get(),
        detail={"before": before, "after": user.roles},
    )
    return service.to_public(user)


@router.get(
    "/users/{user_id}/export",
    response_model=SubjectExport,
    summary="Everything learnloop holds about a user, from every store (GDPR/CCPA access)",
)
async def export_user(
    user_id: IdPath,
    request: Request,
    platform: PlatformDep,
    subjects: SubjectsDep,
    principal: Annotated[Principal, Depends(allowed_on_owner(Action.PRIVACY_EXPORT, "user_id"))],
) -> SubjectExport:
    stores = {"users": await run_in_threadpool(subjects.export_subject, user_id)}
    missing: dict[str, str] = {}
    headers = {"Authorization": request.headers.get("authorization", "")}
    timeout = platform.settings.security.privacy_export_timeout_s
    services = {store: path.format(subject_id=user_id) for store, path in EXPORT_SOURCES.items()}
    async with platform.http_client(headers=headers) as client:
        await _collect(client, services, timeout, stores, missing)
    consumers = privacy.consumer_state_urls(platform.settings, user_id)
    if consumers:  # each feature consumer pod answers for its own state
        async with platform.peer_client(headers=headers) as client:
            await _collect(client, consumers, timeout, stores, missing)
    missing.update(privacy.unexported_stores(platform.settings))
    with platform.db.session() as session:
        repository.add_audit_entry(
            session,
            action="privacy.exported",
            actor=platform.pseudonym(principal.subject),
            subject=platform.pseudonym(user_id),
            request_id=request_id_var.get(),
        )
    return SubjectExport(subject_id=user_id, generated_at=utcnow(), stores=stores, missing=missing)


async def _collect(
    client: httpx.AsyncClient,
    urls: dict[str, str],
    timeout: float,
    stores: dict[str, Any],
    missing: dict[str, str],
) -> None:
    """GET every store's export at once into ``stores``; a store that fails goes to
    ``missing``, with why."""

    async def fetch(store: str, url: str) -> None:
        try:
            answer = await client.get(url, timeout=timeout)
            answer.raise_for_status()
            stores[store] = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            missing[store] = f"{type(exc).__name__}: {exc}"[:300]

    await asyncio.gather(*(fetch(store, url) for store, url in urls.items()))


@router.delete(
    "/users/{user_id}",
    response_model=PrivacyRequestPublic,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(404),
    summary="Erase a user everywhere (GDPR/CCPA): fans out to every store; poll the request",
)
def erase_user(
    user_id: IdPath,
    session: SessionDep,
    platform: PlatformDep,
    outbox: OutboxDep,
    principal: Annotated[Principal, Depends(allowed_on_owner(Action.PRIVACY_ERASE, "user_id"))],
) -> PrivacyRequestPublic:
    if repository.get_user(session, user_id=user_id) is None and principal.subject != user_id:
        raise NotFoundError(f"user {user_id} not found")
    row = privacy.request_erasure(
        session,
        subject_id=user_id,
        pseudonym=platform.pseudonym(user_id),
        actor=platform.pseudonym(principal.subject),
        request_id=request_id_var.get(),
        stores=privacy.erasure_stores(platform.settings),
    )
    session.commit()
    outbox.kick()
    session.refresh(row)
    return privacy.to_public(row)


@router.get(
    "/privacy/requests/{request_id}",
    response_model=PrivacyRequestPublic,
    responses=problem_responses(404),
    summary="Where an erasure request stands in each store",
)
def read_privacy_request(
    request_id: IdPath, session: SessionDep, platform: PlatformDep, principal: CurrentPrincipal
) -> PrivacyRequestPublic:
    row = repository.get_privacy_request(session, request_id=request_id)
    if row is None:
        raise NotFoundError(f"privacy request {request_id} not found")
    if row.requested_by != platform.pseudonym(principal.subject):
        authorize(principal, Action.AUDIT_READ)
    return privacy.to_public(row)


@router.get("/audit", response_model=AuditPage, summary="The audit log, newest first (admin)")
def read_audit_log(
    session: SessionDep,
    platform: PlatformDep,
    _principal: Annotated[Principal, Depends(allowed(Action.AUDIT_READ))],
    subject_id: Annotated[str | None, Query(max_length=128)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditPage:
    subject = platform.pseudonym(subject_id) if subject_id else None
    rows, count = repository.list_audit_entries(
        session, subject=subject, action=action, offset=offset, limit=limit
    )
    return AuditPage(data=[AuditEntryPublic.model_validate(r) for r in rows], count=count)
