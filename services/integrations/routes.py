"""Integration endpoints (``/integrations``): Stripe webhook, subscription state."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from learnloop.web import problem_responses
from services.common.deps import allowed_on_owner
from services.common.errors import NotFoundError, PayloadTooLargeError
from services.common.principal import Principal
from services.common.rbac import Action
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
    user_id: str,
    _caller: Annotated[Principal, Depends(allowed_on_owner(Action.SUBSCRIPTION_READ, "user_id"))],
    stripe: StripeDep,
) -> SubscriptionPublic:
    row = stripe.subscription(user_id)
    if row is None:
        raise NotFoundError(f"no subscription for {user_id}")
    return SubscriptionPublic.model_validate(row)
