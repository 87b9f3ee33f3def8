"""A fresh SQLite database with the NS tables, and a controllable clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.common.db import Database
from services.notifications.models import Base
from services.notifications.service import NotificationService


class Clock:
    """A settable UTC clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'ns.db'}")
    Base.metadata.create_all(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2024, 1, 15, 12, 0, tzinfo=UTC))


@pytest.fixture
def service(db: Database, clock: Clock) -> NotificationService:
    return NotificationService(
        db, signing_secret=b"test-secret", base_url="http://api.test", clock=clock
    )
