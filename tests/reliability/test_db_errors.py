"""Database errors in routes: outages are 503 + Retry-After problems, other DB errors stay 500."""

from __future__ import annotations

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import exc

from learnloop.web import create_service_app

router = APIRouter()
ERRORS: dict[str, Exception] = {
    "refused": exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("refused")),
    "pool": exc.TimeoutError("QueuePool limit of size 2 overflow 1 reached"),
    "invalidated": exc.DBAPIError("SELECT 1", {}, OSError("gone"), connection_invalidated=True),
    "integrity": exc.IntegrityError("INSERT", {}, ValueError("duplicate key")),
}


@router.get("/fail/{kind}")
def fail(kind: str) -> None:
    raise ERRORS[kind]


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = create_service_app(
        title="t", service="t", version="0", routers=[router], db_retry_after_s=7
    )
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("kind", ["refused", "pool", "invalidated"])
def test_outages_are_503_problems_with_retry_after(client: TestClient, kind: str) -> None:
    answer = client.get(f"/fail/{kind}")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "7"
    assert answer.headers["content-type"].startswith("application/problem+json")
    body = answer.json()
    assert body["type"].endswith("/database-unavailable") and body["status"] == 503
    assert "SELECT" not in body["detail"] and "refused" not in body["detail"]


def test_other_database_errors_stay_500_without_details(client: TestClient) -> None:
    answer = client.get("/fail/integrity")
    assert answer.status_code == 500 and "retry-after" not in answer.headers
    assert "duplicate" not in answer.text and answer.json()["request_id"]
