"""Stripe subscription webhooks: verified with the stripe library, idempotent, replay-safe.

* The ``Stripe-Signature`` header is checked by ``stripe.Webhook.construct_event`` (HMAC with
  the endpoint secret, timestamp within ``tolerance_s``): forged or stale requests → 400.
* A body that is not a JSON Stripe event → 400.
* Every event id is recorded with the signature timestamp it arrived with. The same event
  re-sent with the *same* signature is a replay → 409; Stripe's own retry of an event (new
  signature) is acknowledged as a duplicate. Neither changes any state.
* ``customer.subscription.*`` events set the subscription state of the user named by
  ``metadata.user_id``; older events never overwrite newer state.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.common.db import Database, utcnow
from services.common.errors import ConflictError, DomainError
from services.integrations.crm import CrmNotifier
from services.integrations.models import StripeEvent, Subscription

SUBSCRIPTION_EVENTS = (
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
)


class WebhookRejectedError(DomainError):
    """Signature, timestamp or payload invalid (400)."""

    status = 400
    slug = "webhook-rejected"


class WebhookReplayedError(ConflictError):
    """The exact same signed request was already processed (409)."""


@dataclass(frozen=True)
class WebhookResult:
    """What happened to an accepted event."""

    event_id: str
    type: str
    outcome: str  # processed, ignored, duplicate


def _signed_at(header: str) -> int:
    for part in header.split(","):
        key, _, value = part.partition("=")
        if key.strip() == "t" and value.strip().isdigit():
            return int(value)
    raise WebhookRejectedError("Stripe-Signature has no timestamp")


def _epoch(value: Any) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int) else None


class StripeWebhooks:
    """Handles ``POST /integrations/stripe/webhook`` bodies."""

    def __init__(
        self,
        db: Database,
        *,
        secret: str,
        tolerance_s: int = 300,
        crm: CrmNotifier | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db, self.secret, self.tolerance_s = db, secret, tolerance_s
        self.crm = crm or CrmNotifier(None)
        self.clock = clock

    def handle(self, payload: bytes, signature: str | None) -> WebhookResult:
        """Verify and apply one webhook; raises the errors above (nothing stored on error)."""
        if not signature:
            raise WebhookRejectedError("missing Stripe-Signature header")
        try:
            stripe.Webhook.construct_event(payload, signature, self.secret, self.tolerance_s)
        except stripe.SignatureVerificationError as exc:
            raise WebhookRejectedError(f"signature verification failed: {exc}") from None
        except ValueError:
            raise WebhookRejectedError("payload is not valid JSON") from None
        except (AttributeError, TypeError, KeyError):  # JSON, but not an object the SDK can read
            raise WebhookRejectedError("payload is not a Stripe event") from None
        event = json.loads(payload)
        obj = event.get("data", {}).get("object") if isinstance(event, dict) else None
        if not (
            isinstance(event, dict)
            and isinstance(event.get("id"), str)
            and isinstance(event.get("type"), str)
            and isinstance(obj, dict)
        ):
            raise WebhookRejectedError("payload is not a Stripe event (id, type, data.object)")
        signed_at = _signed_at(signature)
        try:
            with self.db.session() as session:
                seen = session.get(StripeEvent, event["id"])
                if seen is not None:
                    if seen.signed_at == signed_at:
                        raise WebhookReplayedError(f"webhook {event['id']} was already received")
                    return WebhookResult(event["id"], event["type"], "duplicate")
                outcome = self._apply(session, event, obj)
                session.add(
                    StripeEvent(
                        id=event["id"],
                        type=event["type"],
                        signed_at=signed_at,
                        outcome=outcome,
                        received_at=self.clock(),
                    )
                )
                session.flush()
        except IntegrityError:  # the same event processed concurrently
            return WebhookResult(event["id"], event["type"], "duplicate")
        return WebhookResult(event["id"], event["type"], outcome)

    def _apply(self, session: Session, event: dict[str, Any], obj: dict[str, Any]) -> str:
        if event["type"] not in SUBSCRIPTION_EVENTS:
            return "ignored"
        user_id = (obj.get("metadata") or {}).get("user_id")
        if not isinstance(user_id, str) or not user_id:
            return "ignored"
        created = int(event.get("created") or 0)
        row = session.get(Subscription, user_id)
        if row is not None and row.event_created > created:
            return "ignored"  # out of order: a newer event already set the state
        status = "canceled" if event["type"].endswith(".deleted") else str(obj.get("status"))
        previous = row.status if row is not None else None
        if row is None:
            row = Subscription(user_id=user_id, status=status)
            session.add(row)
        items = (obj.get("items") or {}).get("data") or []
        price = (items[0].get("price") or {}).get("id") if items else None
        row.customer_id = obj.get("customer") if isinstance(obj.get("customer"), str) else None
        row.subscription_id = obj.get("id") if isinstance(obj.get("id"), str) else None
        row.status, row.price_id = status, price
        row.current_period_end = _epoch(obj.get("current_period_end"))
        row.cancel_at_period_end = bool(obj.get("cancel_at_period_end"))
        row.event_created = created
        if status != previous:
            self.crm.enqueue(
                session,
                f"subscription.{status}",
                user_id,
                {"previous_status": previous, "price_id": price, "stripe_event": event["id"]},
                self.clock(),
            )
        return "processed"

    def subscription(self, user_id: str) -> Subscription | None:
        """The user's subscription state, if Stripe ever reported one."""
        with self.db.session() as session:
            return session.get(Subscription, user_id)
