"""Integration request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class WebhookAck(BaseModel):
    """Stripe webhook accepted."""

    received: bool
    event_id: str
    outcome: str


class SubscriptionPublic(BaseModel):
    """A user's subscription state."""

    model_config = ConfigDict(from_attributes=True)

    user_id: str
    status: str
    price_id: str | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    updated_at: datetime
