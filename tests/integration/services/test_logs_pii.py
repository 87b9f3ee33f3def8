"""What the services log is structured JSON with request ids, and never carries e-mails,
names, passwords or tokens (the learnloop.log masking filter on the services' real logs)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from testkit.gateway_harness import PASSWORD, Gateway
from testkit.logs import captured_logs

from services.common.principal import Role

pytestmark = pytest.mark.integration


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """The root logger's output, formatted exactly like ``configure_logging`` does."""
    with captured_logs() as stream:
        yield stream


def test_service_logs_hold_no_personal_data(gateway: Gateway, log_stream: io.StringIO) -> None:
    email, name = "marie.curie@example.org", "Marie Skłodowska"
    registered = gateway.client.post(
        "/auth/register", json={"email": email, "password": PASSWORD, "full_name": name}
    )
    assert registered.status_code == 201
    wrong = gateway.client.post("/auth/token", json={"email": email, "password": "wrong password"})
    assert wrong.status_code == 401
    tokens = gateway.client.post("/auth/token", json={"email": email, "password": PASSWORD}).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    gateway.client.patch("/users/me", json={"full_name": name + " Curie"}, headers=headers)
    gateway.client.get("/users/me", headers={"Authorization": "Bearer not.a.jwt"})
    _admin, admin = gateway.make_user(Role.ADMIN)
    user_id = registered.json()["id"]
    gateway.client.get(f"/users/{user_id}/export", headers=admin)
    gateway.client.delete(f"/users/{user_id}", headers=headers)

    output = log_stream.getvalue()
    records = [json.loads(line) for line in output.splitlines()]
    assert any(r["logger"] == "learnloop.access" for r in records)
    assert any("failed login for email=***" in r["msg"] for r in records)
    assert all(r["request_id"] for r in records if r["logger"] == "learnloop.access")
    for secret in (
        email,
        "marie.curie",
        name,
        "Skłodowska",
        PASSWORD,
        tokens["access_token"],
        tokens["refresh_token"],
    ):
        assert secret not in output, secret
