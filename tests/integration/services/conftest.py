"""Service-suite fixtures: every module runs against SQLite and a real PostgreSQL.

``database_url`` is parametrised; PostgreSQL gets a fresh database per module (Alembic
migrates it from empty when the gateway starts). ``gateway`` is the whole platform in one app
with the in-process event bus; tests that need the real broker ask for it themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from testkit.gateway_fixtures import gateway, make_gateway  # noqa: F401 (fixtures)

from learnloop.localstack import ManagedProcess


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new database on the session's PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'services.db'}"
        return
    server: ManagedProcess = request.getfixturevalue("postgres_server")
    base = f"postgresql+psycopg://learnloop@127.0.0.1:{server.port}"
    name = f"svc_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
