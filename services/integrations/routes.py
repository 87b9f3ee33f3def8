"""Integration endpoints (``/integrations``): Stripe webhook, subscription state."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from learnloop.web import problem_responses
from services.common.deps import CurrentPrincipal
from services.common.errors import ForbiddenError, NotFoundError, PayloadTooLargeError
from services.common.principal import Role
from services.integrations.deps import StripeDep
from services.integrations.schemas import SubscriptionPublic, WebhookAck

router = APIRouter(prefix="/integrations", tags=["integrations"])
MAX_WEBHOOK_BYTES = 512 * 1024


@router.post(
    "/stripe/webhook",
    response_model=WebhookAck,
    responses=problem_responses(400, 409, 413, 503),
    summary="Stripe subscription webhook (authenticated by its Stripe-Signature)",
)
async def stripe_webhook(request: Request, stripe: StripeDep) -> WebhookAck:
    payload = await request.body()
    if len(payload) > MAX_WEBHOOK_BYTES:
        raise PayloadTooLargeError(f"webhook body over {MAX_WEBHOOK_BYTES} bytes")
    result = await run_in_threadpool(
        stripe.handle, payload, request.headers.get("stripe-signature")
    )
    return WebhookAck(received=True, event_id=result.event_id, outcome=result.outcome)


@router.get(
    "/subscriptions/{user_id}",
    response_model=SubscriptionPublic,
    responses=problem_responses(401, 403, 404),
    summary="A user's subscription state (self or admin)",
)
def subscription(
    user_id: str, principal: CurrentPrincipal, stripe: StripeDep
) -> SubscriptionPublic:
    if principal.subject != user_id and Role.ADMIN not in principal.roles:
        raise ForbiddenError("you may only read your own subscription")
    row = stripe.subscription(user_id)
    if row is None:
        raise NotFoundError(f"no subscription for {user_id}")
    return SubscriptionPublic.model_validate(row)
