"""Security-suite fixtures: a whole platform (gateway) on a fresh SQLite database per module.

Tests that need PostgreSQL or Redis ask for the session servers of ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from testkit.gateway_harness import Gateway, gateway_factory
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


@pytest.fixture(scope="module")
def make_gateway(
    database_url: str, dataset_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Gateway]]:
    """Factory: a started gateway on the module's database, settings overridable."""
    with gateway_factory(
        database_url, dataset_dir, lambda: tmp_path_factory.mktemp("platform")
    ) as make:
        yield make


@pytest.fixture(scope="module")
def gateway(make_gateway: Callable[..., Gateway]) -> Gateway:
    """The module's gateway with default security settings (rate limits off)."""
    return make_gateway()
