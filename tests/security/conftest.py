"""Security-suite fixtures: a whole platform (gateway) on a fresh SQLite database per module.

Tests that need PostgreSQL or Redis ask for the session servers of ``tests/conftest.py``.
"""

from __future__ import annotations

import pytest
from testkit.gateway_fixtures import gateway, make_gateway  # noqa: F401 (fixtures)
from testkit.pg import create_database

from learnloop.localstack import ManagedProcess


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh SQLite database (modules that need PostgreSQL override this)."""
    return f"sqlite:///{tmp_path_factory.mktemp('security') / 'services.db'}"


@pytest.fixture(scope="module")
def postgres_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    server: ManagedProcess = request.getfixturevalue("postgres_server")
    return create_database(server.port, "sec")
