"""What Stripe sends: signed subscription events (signature computed exactly as Stripe does)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

SECRET = "whsec_test_secret"


def stripe_signature(payload: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header exactly as Stripe computes it (v1 = HMAC-SHA256)."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def subscription_event(
    event_id: str = "evt_1",
    *,
    status: str = "active",
    user: str = "u1",
    created: int = 1000,
    kind: str = "customer.subscription.updated",
) -> bytes:
    body: dict[str, Any] = {
        "id": event_id,
        "object": "event",
        "type": kind,
        "created": created,
        "data": {
            "object": {
                "id": "sub_1",
                "object": "subscription",
                "customer": "cus_1",
                "status": status,
                "cancel_at_period_end": False,
                "current_period_end": 1_900_000_000,
                "metadata": {"user_id": user},
                "items": {"data": [{"price": {"id": "price_pro"}}]},
            }
        },
    }
    return json.dumps(body).encode()
