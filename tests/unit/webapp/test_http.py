"""The web app inside the gateway (in process): cookies, CSRF, caching, roles, degradation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from testkit.gateway_harness import PASSWORD, Gateway, service_settings

from learnloop.localstack import free_port
from services.common.events import InProcessEventBus
from services.common.principal import Role
from services.gateway.app import create_gateway


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    data_dir = tmp_path_factory.mktemp("webapp")
    settings = service_settings(
        data_dir, f"sqlite:///{data_dir / 'db.sqlite'}", data_dir / "datasets",
        serving={"res_port": free_port(), "lps_port": free_port()},  # nothing listens there
    )  # fmt: skip
    app = create_gateway(settings, bus=InProcessEventBus())
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Gateway(client=client, platform=app.state.platform, bus=app.state.platform.bus)


def _csrf(client: TestClient, path: str) -> str:
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, page.text[:500]
    return match.group(1)


def _sign_in(gateway: Gateway, role: Role) -> TestClient:
    user_id, _ = gateway.make_user(role)
    client = TestClient(gateway.client.app, base_url="http://testserver")
    token = _csrf(client, "/app/login")
    answer = client.post(
        "/app/login",
        data={"email": gateway.users[user_id], "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


def test_sign_in_sets_safe_cookies_and_lands_by_role(gateway: Gateway) -> None:
    client = TestClient(gateway.client.app)
    assert client.get("/app/learn", follow_redirects=False).headers["location"] == (
        "/app/login?next=/app/learn"
    )
    user_id, _ = gateway.make_user(Role.LEARNER)
    token = _csrf(client, "/app/login")
    answer = client.post(
        "/app/login",
        data={"email": gateway.users[user_id], "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/app/learn"
    cookies = answer.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("ll_session="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Path=/app" in session


def test_wrong_password_and_missing_csrf_are_refused(gateway: Gateway) -> None:
    client = TestClient(gateway.client.app)
    user_id, _ = gateway.make_user(Role.LEARNER)
    email = gateway.users[user_id]
    token = _csrf(client, "/app/login")
    wrong = client.post(
        "/app/login", data={"email": email, "password": "nope" * 3, "csrf_token": token}
    )
    assert wrong.status_code == 400 and "E-mail or password is not right" in wrong.text
    forged = client.post("/app/login", data={"email": email, "password": PASSWORD})
    assert forged.status_code == 403 and "ll_session" not in forged.headers.get("set-cookie", "")


def test_static_assets_are_cacheable_and_pages_are_not(gateway: Gateway) -> None:
    client = _sign_in(gateway, Role.LEARNER)
    page = client.get("/app/mastery")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    css = re.search(r'href="(/app/static/app\.css\?v=[0-9a-f]+)"', page.text)
    assert css, page.text[:400]
    asset = client.get(css.group(1))
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_pages_degrade_when_res_and_lps_are_down(gateway: Gateway) -> None:
    client = _sign_in(gateway, Role.LEARNER)
    page = client.get("/app/learn")
    assert page.status_code == 200
    assert "recommendation service is not reachable" in page.text
    assert "learning-path service is not reachable" in page.text


def test_roles_gate_pages(gateway: Gateway) -> None:
    learner = _sign_in(gateway, Role.LEARNER)
    assert learner.get("/app/teach").status_code == 403
    assert learner.get("/app/models").status_code == 403
    scientist = _sign_in(gateway, Role.DATA_SCIENTIST)
    models = scientist.get("/app/models")
    assert models.status_code == 200 and "No champion yet" in models.text
    assert scientist.get("/app/reports/drift/..%2F..%2Fetc%2Fpasswd").status_code == 404
    teacher = _sign_in(gateway, Role.INSTRUCTOR)
    assert "You are not assigned to a course yet" in teacher.get("/app/teach").text


def test_sso_button_starts_a_pkce_code_flow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from webapp.pages import sso

    async def discover(_issuer: object) -> dict[str, str]:
        return {"authorization_endpoint": "https://idp.example/authorize",
                "token_endpoint": "https://idp.example/token"}  # fmt: skip

    monkeypatch.setattr(sso, "_discover", discover)
    settings = service_settings(
        tmp_path, f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "datasets",
        auth={"external_issuers": [{"issuer": "https://idp.example", "audience": "web-client"}]},
    )  # fmt: skip
    with TestClient(create_gateway(settings, bus=InProcessEventBus())) as client:
        assert "Sign in with https://idp.example" in client.get("/app/login").text
        start = client.get("/app/sso/0", follow_redirects=False)
        assert start.status_code == 303
        location = start.headers["location"]
        assert location.startswith("https://idp.example/authorize?")
        assert "client_id=web-client" in location and "code_challenge_method=S256" in location
        state = re.search(r"state=([^&]+)", location)
        assert state and "ll_sso" in start.headers["set-cookie"]
        forged = client.get("/app/sso-callback", params={"code": "x", "state": "other"})
        assert forged.status_code == 400 and "did not match" in forged.text
        assert client.get("/app/sso/5").status_code == 400


def test_next_up_shows_reasons_and_path_progress(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    from webapp import serving
    from webapp.pages import learner

    async def recommend(*_args: object) -> serving.Served:
        reasons = [{"code": "new_skill", "skill": "s1", "mastery": 0.25}, {"code": "cold_start"}]
        item = {"item_id": "nope", "score": 1.0, "p_correct": 0.6, "skills": ["s1"],
                "reasons": reasons}  # fmt: skip
        return serving.Served({"items": [item], "served": {"degraded": False}})

    async def latest_path(*_args: object) -> serving.Served:
        steps = [
            {"skill": "s0", "items": [], "start_mastery": 0.9, "target_mastery": 0.8,
             "expected_gain": 0, "minutes": 5, "reasons": [{"code": "goal"}]},
            {"skill": "s1", "items": [], "start_mastery": 0.2, "target_mastery": 0.8,
             "expected_gain": 0.6, "minutes": 10, "reasons": [{"code": "needed_for",
                                                               "goals": ["s2"]}]},
        ]  # fmt: skip
        return serving.Served({"steps": steps, "total_minutes": 15})

    monkeypatch.setattr(learner.serving, "recommend", recommend)
    monkeypatch.setattr(learner.serving, "latest_path", latest_path)
    page = _sign_in(gateway, Role.LEARNER).get("/app/learn").text
    assert "Teaches s1, mastered 25% so far." in page
    assert "A starting point" in page
    assert "1 of 2 steps done" in page and "Needed for s2." in page
    assert 'value="1"' in page  # the <progress> element


def test_inbox_lists_and_marks_read(gateway: Gateway) -> None:
    from services.notifications.deps import SERVICE
    from services.notifications.models import Kind
    from services.notifications.service import NewNotification, NotificationService

    client = _sign_in(gateway, Role.LEARNER)
    user_id = list(gateway.users)[-1]  # the learner just signed in
    for key in ("a", "b"):
        gateway.platform.resource(SERVICE, NotificationService).notify(
            NewNotification(user_id, Kind.ANNOUNCEMENT, f"Hello {key}", "body", dedupe_key=key)
        )
    page = client.get("/app/inbox").text
    assert "2 unread of 2." in page and "Hello a" in page
    ids = re.findall(r'name="notification_id" value="([^"]+)"', page)
    token = _csrf(client, "/app/inbox")
    read = client.post("/app/inbox/read", data={"notification_id": ids[0], "csrf_token": token})
    assert read.status_code == 200 and "1 unread of 2." in read.text
    client.post("/app/inbox/read", data={"csrf_token": token})
    assert "0 unread of 2." in client.get("/app/inbox").text
