"""Integration-service database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.common.db import Database
from services.integrations.models import Base


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'int.db'}")
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()
