"""Each service also runs on its own (Kubernetes routes by prefix): its routes only, and tokens
of the identity service verified through its published JWKS (no shared private keys)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from testkit.gateway_harness import PASSWORD, service_settings

from learnloop.localstack import free_port
from services.assessments.app import create_app as assessments_app
from services.catalog.app import create_app as catalog_app
from services.common.events import InProcessEventBus
from services.common.keys import KeyStore
from services.progress.app import create_app as progress_app
from services.users.app import create_app as users_app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """SQLite: one file shared by the separately running services."""
    return f"sqlite:///{tmp_path_factory.mktemp('standalone') / 'services.db'}"


@pytest.fixture(scope="module")
def identity_url(
    database_url: str, dataset_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The users service alone, on a real port (its URL is the token issuer)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = service_settings(
        tmp_path_factory.mktemp("ums"), database_url, dataset_dir, auth={"issuer": url}
    )
    server = uvicorn.Server(
        uvicorn.Config(
            users_app(settings, bus=InProcessEventBus()),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    yield url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize(
    ("factory", "own", "foreign"),
    [
        (users_app, "/auth/token", "/catalog/items"),
        (catalog_app, "/catalog/items", "/assessments"),
        (assessments_app, "/assessments", "/progress/me"),
        (progress_app, "/progress/me", "/users/me"),
    ],
)
def test_a_service_alone_serves_its_own_prefix(
    factory: object, own: str, foreign: str, database_url: str, dataset_dir: Path, tmp_path: Path
) -> None:
    app = factory(service_settings(tmp_path, database_url, dataset_dir), bus=InProcessEventBus())  # type: ignore[operator]
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        paths = client.get("/openapi.json").json()["paths"]
        assert own in paths and foreign not in paths


def test_tokens_verify_through_the_issuers_jwks(
    identity_url: str, database_url: str, dataset_dir: Path, tmp_path: Path
) -> None:
    with httpx.Client(base_url=identity_url) as ums:
        user = ums.post(
            "/auth/register", json={"email": "solo@example.com", "password": PASSWORD}
        ).json()
        token = ums.post(
            "/auth/token", json={"email": "solo@example.com", "password": PASSWORD}
        ).json()
    settings = service_settings(
        tmp_path, database_url, dataset_dir, auth={"issuer": identity_url, "verify_with_jwks": True}
    )
    with TestClient(catalog_app(settings, bus=InProcessEventBus())) as catalog:
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        mine = catalog.get(f"/catalog/privacy/subjects/{user['id']}", headers=headers)
        assert mine.status_code == 200
        assert (
            catalog.get("/catalog/privacy/subjects/someone-else", headers=headers).status_code
            == 403
        )
        forged = token["access_token"][:-4] + "AAAA"
        assert (
            catalog.get(
                f"/catalog/privacy/subjects/{user['id']}",
                headers={"Authorization": f"Bearer {forged}"},
            ).status_code
            == 401
        )
    # a service that verifies through the JWKS holds no private key of the issuer
    assert not (tmp_path / "keys" / "identity").exists()


def _replicas(
    key_dirs: tuple[Path, Path], database_url: str, dataset_dir: Path, **auth: object
) -> tuple[TestClient, TestClient]:
    """Two replicas of the identity service on one database, as behind a load balancer."""
    apps = []
    for key_dir in key_dirs:
        settings = service_settings(
            key_dir.parent / f"data-{key_dir.name}",
            database_url,
            dataset_dir,
            auth={"issuer": "https://id.example", "key_dir": str(key_dir), **auth},
        )
        apps.append(TestClient(users_app(settings, bus=InProcessEventBus())))
    return apps[0], apps[1]


def test_identity_replicas_share_provided_keys(
    database_url: str, dataset_dir: Path, tmp_path: Path
) -> None:
    """Replicas that make their own keys reject each other's tokens; replicas that read the same
    provided keys (auth.manage_keys false, the Helm chart's mounted secret) accept them."""
    own = (tmp_path / "own-a", tmp_path / "own-b")
    shared = tmp_path / "secret"
    KeyStore(shared / "identity", rotation_s=0, grace_s=0).rotate()  # `users new-key`
    for key_dirs, auth, expected in (
        (own, {}, 401),
        ((shared, shared), {"manage_keys": False}, 200),
    ):
        first, second = _replicas(key_dirs, database_url, dataset_dir, **auth)
        with first, second:
            email = f"replica-{expected}@example.com"
            first.post("/auth/register", json={"email": email, "password": PASSWORD})
            token = first.post("/auth/token", json={"email": email, "password": PASSWORD})
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            assert first.get("/users/me", headers=headers).status_code == 200
            assert second.get("/users/me", headers=headers).status_code == expected
    assert len(list((shared / "identity").iterdir())) == 1  # the replicas made no key of their own


def test_lti_tool_replicas_publish_the_same_provided_keys(
    database_url: str, dataset_dir: Path, tmp_path: Path
) -> None:
    """The catalog's LTI tool signs with `<key dir>/lti`: replicas reading provided keys publish
    one JWKS (an LMS may fetch it from any of them); replicas making their own do not."""
    shared = tmp_path / "secret"
    KeyStore(shared / "lti", rotation_s=0, grace_s=0).rotate()
    published = {}
    for label, key_dirs, auth in (
        ("own", (tmp_path / "own-a", tmp_path / "own-b"), {}),
        ("provided", (shared, shared), {"manage_keys": False}),
    ):
        kids = []
        for key_dir in key_dirs:
            settings = service_settings(
                tmp_path / f"data-{label}-{len(kids)}",
                database_url,
                dataset_dir,
                auth={"key_dir": str(key_dir), "verify_with_jwks": True, **auth},
            )
            with TestClient(catalog_app(settings, bus=InProcessEventBus())) as catalog:
                kids.append([k["kid"] for k in catalog.get("/lti/jwks").json()["keys"]])
        published[label] = kids
    own_a, own_b = published["own"]
    assert own_a != own_b
    first, second = published["provided"]
    assert first == second == [p.stem for p in (shared / "lti").glob("*.pem")]
