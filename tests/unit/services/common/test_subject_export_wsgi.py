"""A worker's export of its own state on its metrics port: same rule as the services' export
routes (subject or admin, by verified bearer token), problems for errors, /metrics untouched."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from learnloop.localstack import free_port
from learnloop.settings import Settings
from learnloop.web.metrics_port import start_metrics_port
from services.common.auth import identity_keys, token_verifier
from services.common.subject_export_wsgi import EXPORT_PREFIX, subject_export_app
from services.users.tokens import AccessTokenIssuer


class _Records:
    """A store holding one record per subject (what a consumer slice's state answers)."""

    store = "feature_consumer_state-1"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def export_subject(self, subject_id: str) -> dict[str, Any]:
        self.asked.append(subject_id)
        return {"consumer_state": [{"file": "features-1-of-2.sqlite", "learner": subject_id}]}

    def erase_subject(self, subject_id: str, pseudonym: str) -> dict[str, int]:
        raise AssertionError("an export never erases")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(env="test", data_dir=tmp_path, api={"host": "127.0.0.1"})


@pytest.fixture
def issuer(settings: Settings) -> AccessTokenIssuer:
    keys = identity_keys(settings)
    keys.ensure()
    return AccessTokenIssuer(
        keys=keys, issuer=settings.auth_issuer, audience=settings.auth.audience, ttl_s=600
    )


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[str, _Records]]:
    records = _Records()
    server = start_metrics_port(settings, free_port())
    server.routes[EXPORT_PREFIX] = subject_export_app(records, token_verifier(settings))
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", records
    finally:
        server.shutdown()
        server.server_close()


def _bearer(issuer: AccessTokenIssuer, subject: str, *roles: str) -> dict[str, str]:
    token = issuer.issue(subject=subject, roles=list(roles) or ["learner"])
    return {"Authorization": f"Bearer {token}"}


def test_the_subject_and_an_admin_get_the_record_others_are_refused(
    served: tuple[str, _Records], issuer: AccessTokenIssuer
) -> None:
    base, records = served
    url = f"{base}/privacy/subjects/learner-7"
    for who in (_bearer(issuer, "learner-7"), _bearer(issuer, "ops-1", "admin")):
        answer = httpx.get(url, headers=who)
        assert answer.status_code == 200, answer.text
        assert answer.json()["consumer_state"][0]["learner"] == "learner-7"
    stranger = httpx.get(url, headers=_bearer(issuer, "learner-8"))
    assert stranger.status_code == 403
    assert stranger.headers["content-type"] == "application/problem+json"
    assert "another user's data" in stranger.json()["detail"]
    assert records.asked == ["learner-7", "learner-7"]  # nothing read for the stranger


def test_missing_or_bad_tokens_are_401_with_the_bearer_challenge(
    served: tuple[str, _Records], issuer: AccessTokenIssuer, tmp_path: Path
) -> None:
    base, records = served
    url = f"{base}/privacy/subjects/learner-7"
    other_keys = identity_keys(Settings(env="test", data_dir=tmp_path / "elsewhere"))
    other_keys.ensure()
    forged = AccessTokenIssuer(
        keys=other_keys, issuer=issuer.issuer, audience=issuer.audience, ttl_s=600
    ).issue(subject="learner-7", roles=["learner"])
    for headers, detail in (
        ({}, "missing bearer token"),
        ({"Authorization": "Basic bGVhcm5lcjo3"}, "missing bearer token"),
        ({"Authorization": f"Bearer {forged}"}, "unknown key id"),
    ):
        answer = httpx.get(url, headers=headers)
        assert answer.status_code == 401, answer.text
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert detail in answer.json()["detail"]
    assert records.asked == []


def test_other_paths_and_methods_are_problems_and_metrics_still_served(
    served: tuple[str, _Records], issuer: AccessTokenIssuer
) -> None:
    base, _records = served
    admin = _bearer(issuer, "ops-1", "admin")
    post = httpx.post(f"{base}/privacy/subjects/learner-7", headers=admin)
    assert (post.status_code, post.headers["allow"]) == (405, "GET")
    for path in ("/privacy/subjects/", "/privacy/subjects/bad%20id", "/privacy/subjects/x/y"):
        answer = httpx.get(base + path, headers=admin)
        assert answer.status_code == 404, path
        assert answer.json()["type"].endswith("/not-found")
    metrics = httpx.get(f"{base}/metrics")
    assert metrics.status_code == 200 and "python_info" in metrics.text
