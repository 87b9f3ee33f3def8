"""NS endpoints (``/notifications``): inbox, preferences, unsubscribe, dead-letter admin."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select

from learnloop.web import problem_responses
from services.common.deps import CurrentPrincipal, PlatformDep, allowed
from services.common.errors import NotFoundError
from services.common.principal import Principal
from services.common.rbac import Action
from services.notifications.deps import DelivererDep, ServiceDep
from services.notifications.models import Delivery
from services.notifications.schemas import (
    DeliveriesPublic,
    DeliveryPublic,
    InboxPublic,
    NotificationPublic,
    PreferencesPublic,
    PreferencesUpdate,
    ReadAll,
    Unsubscribed,
)

router = APIRouter(prefix="/notifications", tags=["notifications"])
AUTH = problem_responses(401, 403)
Token = Annotated[str, Query(min_length=3, max_length=1024)]


@router.get("", response_model=InboxPublic, responses=AUTH, summary="The caller's inbox")
def inbox(
    principal: CurrentPrincipal,
    service: ServiceDep,
    unread_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> InboxPublic:
    page = service.inbox(principal.subject, unread_only=unread_only, limit=limit, offset=offset)
    return InboxPublic(
        data=[NotificationPublic.model_validate(n) for n in page.items],
        count=page.total,
        unread=page.unread,
        limit=limit,
        offset=offset,
    )


@router.post(
    "/{notification_id}/read",
    response_model=NotificationPublic,
    responses=problem_responses(401, 404),
    summary="Mark one notification read",
)
def mark_read(
    notification_id: str, principal: CurrentPrincipal, service: ServiceDep
) -> NotificationPublic:
    return NotificationPublic.model_validate(service.mark_read(principal.subject, notification_id))


@router.post("/read-all", response_model=ReadAll, responses=AUTH, summary="Mark all read")
def mark_all_read(principal: CurrentPrincipal, service: ServiceDep) -> ReadAll:
    return ReadAll(updated=service.mark_all_read(principal.subject))


@router.get(
    "/preferences",
    response_model=PreferencesPublic,
    responses=AUTH,
    summary="The caller's notification preferences",
)
def get_preferences(principal: CurrentPrincipal, service: ServiceDep) -> PreferencesPublic:
    return PreferencesPublic.model_validate(service.preferences(principal.subject))


@router.put(
    "/preferences",
    response_model=PreferencesPublic,
    responses=problem_responses(401, 422),
    summary="Change channels, muted kinds, quiet hours, time zone",
)
def put_preferences(
    data: PreferencesUpdate, principal: CurrentPrincipal, service: ServiceDep
) -> PreferencesPublic:
    changes = data.model_dump(exclude_unset=True)
    return PreferencesPublic.model_validate(service.update_preferences(principal.subject, changes))


@router.get(
    "/unsubscribe",
    response_model=Unsubscribed,
    responses=problem_responses(422),
    summary="Unsubscribe link from an e-mail (no login needed)",
)
@router.post(
    "/unsubscribe",
    response_model=Unsubscribed,
    responses=problem_responses(422),
    summary="One-click unsubscribe (RFC 8058)",
)
def unsubscribe(token: Token, service: ServiceDep) -> Unsubscribed:
    user_id, kind = service.unsubscribe(token)
    return Unsubscribed(user_id=user_id, kind=kind)


Admin = Annotated[Principal, Depends(allowed(Action.NOTIFICATIONS_ADMIN))]


@router.get(
    "/deliveries",
    response_model=DeliveriesPublic,
    responses=AUTH,
    summary="Outbox deliveries by status (admin; 'dead' = dead letters)",
)
def list_deliveries(
    _admin: Admin,
    platform: PlatformDep,
    status: Literal["pending", "delivered", "dead"] = "dead",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DeliveriesPublic:
    with platform.db.session() as session:
        rows = session.scalars(
            select(Delivery)
            .where(Delivery.status == status)
            .order_by(Delivery.created_at, Delivery.id)
            .limit(limit)
        ).all()
        return DeliveriesPublic(data=[DeliveryPublic.model_validate(r) for r in rows])


@router.post(
    "/deliveries/{delivery_id}/retry",
    response_model=ReadAll,
    responses=problem_responses(401, 403, 404),
    summary="Re-queue a dead delivery (admin)",
)
async def retry_delivery(delivery_id: str, _admin: Admin, deliverer: DelivererDep) -> ReadAll:
    if not await run_in_threadpool(deliverer.retry, delivery_id):
        raise NotFoundError(f"no dead delivery {delivery_id}")
    deliverer.kick()
    return ReadAll(updated=1)
