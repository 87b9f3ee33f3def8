"""Module-scoped gateway fixtures shared by suites that run the whole platform in one app.

A suite's ``conftest.py`` imports ``make_gateway`` and ``gateway`` and provides its own
``database_url`` fixture (SQLite, PostgreSQL or both).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from testkit.gateway_harness import Gateway, gateway_factory


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
    """The module's gateway with default settings (in-process events, rate limits off)."""
    return make_gateway()
