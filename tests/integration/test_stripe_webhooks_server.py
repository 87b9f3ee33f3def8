"""Stripe webhooks against a real uvicorn server backed by PostgreSQL (acceptance criteria)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select
from testkit.pg import create_database
from testkit.stripe_events import SECRET, stripe_signature, subscription_event

from learnloop.localstack import ManagedProcess
from learnloop.settings import IntegrationSettings, Settings
from services.common.app import build_app
from services.common.events import InProcessEventBus
from services.common.platform import Platform
from services.integrations.app import MODULE
from services.integrations.models import StripeEvent, Subscription

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(postgres_server: ManagedProcess, tmp_path) -> Iterator[tuple[str, Platform]]:
    settings = Settings(
        data_dir=tmp_path,
        env="test",
        database_url=create_database(postgres_server.port, "int"),
        integrations=IntegrationSettings(stripe_webhook_secret=SECRET),
    )
    platform = Platform.from_settings(settings, bus=InProcessEventBus())
    app = build_app([MODULE], platform, title="integrations", service="integrations")
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}", platform
    finally:
        uv.should_exit = True
        thread.join(timeout=10)


def test_forged_replayed_and_malformed_webhooks_change_nothing(server) -> None:
    base, platform = server

    def state() -> tuple[int, list[str]]:
        with platform.db.session() as session:
            events = session.scalar(select(func.count()).select_from(StripeEvent)) or 0
            return events, list(session.scalars(select(Subscription.status)))

    url = f"{base}/integrations/stripe/webhook"
    payload = subscription_event(status="active")
    header = stripe_signature(payload)
    with httpx.Client(timeout=10) as client:
        assert (
            client.post(url, content=payload, headers={"Stripe-Signature": header}).json()[
                "outcome"
            ]
            == "processed"
        )
        assert state() == (1, ["active"])
        canceled = subscription_event("evt_2", status="canceled", created=2000)
        attempts = {
            "forged": (canceled, stripe_signature(canceled, secret="whsec_forger")),
            "replayed": (payload, header),
            "stale": (canceled, stripe_signature(canceled, timestamp=int(time.time()) - 900)),
            "malformed": (b'{"id": "evt_3", "type":', stripe_signature(b'{"id": "evt_3", "type":')),
        }
        for name, (body, signature) in attempts.items():
            response = client.post(url, content=body, headers={"Stripe-Signature": signature})
            assert 400 <= response.status_code < 500, name
            assert response.headers["content-type"].startswith("application/problem+json"), name
            assert state() == (1, ["active"]), name
