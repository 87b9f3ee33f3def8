"""Integration dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.common.deps import PlatformDep
from services.common.errors import DomainError
from services.integrations.stripe_webhooks import StripeWebhooks

STRIPE = "integrations.stripe"
CRM_DELIVERER = "integrations.crm_deliverer"


class NotConfiguredError(DomainError):
    """The integration has no secret configured (503)."""

    status = 503
    slug = "not-configured"


def get_stripe(platform: PlatformDep) -> StripeWebhooks:
    """The Stripe webhook handler (503 until ``LEARNLOOP_INTEGRATIONS__STRIPE_WEBHOOK_SECRET``)."""
    handler = platform.resources.get(STRIPE)
    if not isinstance(handler, StripeWebhooks):
        raise NotConfiguredError("Stripe webhooks are not configured on this deployment")
    return handler


StripeDep = Annotated[StripeWebhooks, Depends(get_stripe)]
