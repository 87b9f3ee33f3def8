"""Security-suite fixtures: a whole platform (gateway) on a fresh SQLite database per module.

Tests that need PostgreSQL or Redis ask for the session servers of ``tests/conftest.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from testkit.gateway_harness import Gateway, service_settings

from learnloop.localstack import ManagedProcess
from services.common.events import InProcessEventBus
from services.gateway.app import create_gateway


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh SQLite database (modules that need PostgreSQL override this)."""
    return f"sqlite:///{tmp_path_factory.mktemp('security') / 'services.db'}"


@pytest.fixture(scope="module")
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty database on the session's PostgreSQL server (dropped afterwards)."""
    server: ManagedProcess = request.getfixturevalue("postgres_server")
    base = f"postgresql+psycopg://learnloop@127.0.0.1:{server.port}"
    name = f"sec_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def make_gateway(
    database_url: str, dataset_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Gateway]]:
    """Factory: a started gateway on the module's database, settings overridable."""
    opened: list[TestClient] = []

    def make(**overrides: Any) -> Gateway:
        settings = service_settings(
            tmp_path_factory.mktemp("platform"), database_url, dataset_dir, **overrides
        )
        bus = InProcessEventBus()
        app = create_gateway(settings, bus=bus)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return Gateway(client=client, platform=app.state.platform, bus=bus)

    yield make
    for client in reversed(opened):
        client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def gateway(make_gateway: Callable[..., Gateway]) -> Gateway:
    """The module's gateway with default security settings (rate limits off)."""
    return make_gateway()
