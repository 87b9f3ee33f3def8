"""ARS, NS and integrations are mounted in the gateway, migrated on start, and answer there."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from testkit.stripe_events import SECRET, stripe_signature, subscription_event

from learnloop.settings import CatalogSettings, IntegrationSettings, Settings
from services.common.events import InProcessEventBus
from services.gateway.app import create_gateway
from services.users.tokens import AccessTokenIssuer


def test_gateway_serves_analytics_notifications_and_stripe(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        env="test",
        catalog=CatalogSettings(import_content_on_start=False),
        integrations=IntegrationSettings(stripe_webhook_secret=SECRET),
    )
    app = create_gateway(settings, bus=InProcessEventBus())
    with TestClient(app) as client:
        paths = client.get("/openapi.json").json()["paths"]
        for path in ("/analytics/reports/{name}", "/notifications", "/integrations/stripe/webhook"):
            assert path in paths
        platform = app.state.platform
        issuer = AccessTokenIssuer(
            keys=platform.keys,
            issuer=settings.auth_issuer,
            audience=settings.auth.audience,
            ttl_s=300,
        )
        scientist = {
            "Authorization": "Bearer " + issuer.issue(subject="ds", roles=["data_scientist"])
        }
        reports = client.get("/analytics/reports", headers=scientist)
        assert reports.status_code == 200 and len(reports.json()["data"]) == 5
        empty = client.get("/analytics/reports/course_funnel", headers=scientist).json()
        assert empty["count"] == 0
        assert client.get("/notifications", headers=scientist).json()["count"] == 0
        payload = subscription_event()
        ok = client.post(
            "/integrations/stripe/webhook",
            content=payload,
            headers={"Stripe-Signature": stripe_signature(payload)},
        )
        assert ok.status_code == 200
        forged = client.post(
            "/integrations/stripe/webhook",
            content=payload,
            headers={"Stripe-Signature": stripe_signature(payload, secret="x")},
        )
        assert forged.status_code == 400
