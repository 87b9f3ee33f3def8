"""Stripe webhooks: verified, idempotent, replay-safe; forged/replayed/malformed change nothing."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select
from testkit.stripe_events import SECRET, stripe_signature, subscription_event

from services.common.db import Database
from services.integrations.crm import CrmNotifier
from services.integrations.models import CrmDelivery, StripeEvent, Subscription
from services.integrations.stripe_webhooks import (
    StripeWebhooks,
    WebhookRejectedError,
    WebhookReplayedError,
)


def state(db: Database) -> tuple[int, int, int]:
    with db.session() as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(m))
            for m in (StripeEvent, Subscription, CrmDelivery)
        )


@pytest.fixture
def hooks(db: Database) -> StripeWebhooks:
    return StripeWebhooks(db, secret=SECRET, crm=CrmNotifier("http://crm.test/hook"))


def test_valid_event_sets_subscription_state(hooks: StripeWebhooks, db: Database) -> None:
    payload = subscription_event(status="active")
    result = hooks.handle(payload, stripe_signature(payload))
    assert (result.event_id, result.outcome) == ("evt_1", "processed")
    sub = hooks.subscription("u1")
    assert sub is not None and sub.status == "active" and sub.price_id == "price_pro"
    assert sub.customer_id == "cus_1" and sub.current_period_end is not None
    with db.session() as session:
        (crm,) = session.scalars(select(CrmDelivery)).all()
        assert json.loads(crm.payload)["type"] == "subscription.active"


def test_forged_signature_is_rejected_without_state_change(hooks, db) -> None:
    payload = subscription_event()
    with pytest.raises(WebhookRejectedError, match="signature verification failed"):
        hooks.handle(payload, stripe_signature(payload, secret="whsec_attacker"))
    tampered = payload.replace(b"active", b"canceled")
    with pytest.raises(WebhookRejectedError):
        hooks.handle(tampered, stripe_signature(payload))
    with pytest.raises(WebhookRejectedError, match="missing"):
        hooks.handle(payload, None)
    assert state(db) == (0, 0, 0)


def test_replays_are_rejected_and_change_nothing(hooks, db) -> None:
    payload = subscription_event()
    header = stripe_signature(payload)
    hooks.handle(payload, header)
    before = state(db)
    with pytest.raises(WebhookReplayedError):
        hooks.handle(payload, header)  # the exact same request again
    stale = stripe_signature(payload, timestamp=int(time.time()) - 3600)
    with pytest.raises(WebhookRejectedError, match="verification failed"):
        hooks.handle(subscription_event("evt_2", status="canceled"), stale)
    assert state(db) == before
    assert hooks.subscription("u1").status == "active"  # type: ignore[union-attr]


def test_stripe_retry_with_new_signature_is_a_duplicate(hooks, db) -> None:
    payload = subscription_event()
    hooks.handle(payload, stripe_signature(payload, timestamp=int(time.time()) - 5))
    before = state(db)
    assert hooks.handle(payload, stripe_signature(payload)).outcome == "duplicate"
    assert state(db) == before


@pytest.mark.parametrize(
    "payload", [b"{not json", b"[]", b'{"id": "evt_x", "type": "x"}', b'{"id": 1, "type": "x"}']
)
def test_malformed_payloads_are_rejected(hooks, db, payload: bytes) -> None:
    with pytest.raises(WebhookRejectedError):
        hooks.handle(payload, stripe_signature(payload))
    assert state(db) == (0, 0, 0)


def test_out_of_order_events_do_not_overwrite_newer_state(hooks) -> None:
    newer = subscription_event("evt_new", status="canceled", created=2000)
    older = subscription_event("evt_old", status="active", created=1000)
    hooks.handle(newer, stripe_signature(newer))
    assert hooks.handle(older, stripe_signature(older)).outcome == "ignored"
    assert hooks.subscription("u1").status == "canceled"  # type: ignore[union-attr]


def test_deleted_and_unrelated_events(hooks) -> None:
    deleted = subscription_event("evt_d", kind="customer.subscription.deleted", created=3000)
    hooks.handle(deleted, stripe_signature(deleted))
    assert hooks.subscription("u1").status == "canceled"  # type: ignore[union-attr]
    other = json.dumps({"id": "evt_i", "type": "invoice.paid", "data": {"object": {}}}).encode()
    assert hooks.handle(other, stripe_signature(other)).outcome == "ignored"
    anonymous = subscription_event("evt_a", user="")
    assert hooks.handle(anonymous, stripe_signature(anonymous)).outcome == "ignored"
