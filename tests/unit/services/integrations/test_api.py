"""Stripe webhook endpoint: accepted once; forged, replayed and malformed → 4xx, no change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from testkit.service_app import ServiceHarness, service_harness
from testkit.stripe_events import SECRET, stripe_signature, subscription_event

from learnloop.settings import IntegrationSettings
from services.integrations.app import MODULE
from services.integrations.models import Base, StripeEvent, Subscription

URL = "/integrations/stripe/webhook"


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[ServiceHarness]:
    config = IntegrationSettings(stripe_webhook_secret=SECRET)
    with service_harness([MODULE], [Base.metadata], tmp_path, integrations=config) as h:
        yield h


def counts(harness: ServiceHarness) -> tuple[int, int]:
    with harness.platform.db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(StripeEvent)) or 0,
            session.scalar(select(func.count()).select_from(Subscription)) or 0,
        )


def post(harness: ServiceHarness, payload: bytes, signature: str | None):  # type: ignore[no-untyped-def]
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return harness.client.post(URL, content=payload, headers=headers)


def test_webhook_acceptance(harness: ServiceHarness) -> None:
    payload = subscription_event(status="active")
    header = stripe_signature(payload)
    forged = post(harness, payload, stripe_signature(payload, secret="whsec_wrong"))
    assert forged.status_code == 400 and counts(harness) == (0, 0)
    malformed = post(harness, b"{oops", stripe_signature(b"{oops"))
    assert malformed.status_code == 400 and counts(harness) == (0, 0)
    unsigned = post(harness, payload, None)
    assert unsigned.status_code == 400 and "Stripe-Signature" in unsigned.json()["detail"]
    ok = post(harness, payload, header)
    assert ok.status_code == 200 and ok.json() == {
        "received": True,
        "event_id": "evt_1",
        "outcome": "processed",
    }
    assert counts(harness) == (1, 1)
    replay = post(harness, payload, header)
    assert replay.status_code == 409 and counts(harness) == (1, 1)
    assert replay.headers["content-type"].startswith("application/problem+json")
    me = harness.client.get("/integrations/subscriptions/u1", headers=harness.auth("u1"))
    assert me.status_code == 200 and me.json()["status"] == "active"
    other = harness.client.get("/integrations/subscriptions/u1", headers=harness.auth("u2"))
    assert other.status_code == 403


def test_unconfigured_stripe_answers_503(tmp_path: Path) -> None:
    with service_harness([MODULE], [Base.metadata], tmp_path) as harness:
        payload = subscription_event()
        response = post(harness, payload, stripe_signature(payload))
        assert response.status_code == 503
