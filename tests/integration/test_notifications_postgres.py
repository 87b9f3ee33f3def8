"""NS/ARS/integration migrations and the delivery outbox on a real PostgreSQL server."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from testkit.migrations import assert_matches_models, migrate
from testkit.pg import create_database

from learnloop.localstack import ManagedProcess
from services.common.db import Database, utcnow
from services.notifications.delivery import Deliverer, DeliveryFailedError, new_delivery
from services.notifications.models import Delivery

pytestmark = pytest.mark.integration


@pytest.fixture
def pg_url(postgres_server: ManagedProcess) -> str:
    return create_database(postgres_server.port, "ns")


def test_migrations_and_outbox_on_postgres(pg_url: str) -> None:
    migrate(pg_url)
    db = Database(pg_url)
    try:
        assert_matches_models(db)
        with db.session() as session:
            session.add(
                new_delivery(
                    Delivery, channel="webhook", target="http://x", payload={}, at=utcnow()
                )
            )
        failures = iter([True, True, False])

        def flaky(_delivery: Delivery) -> None:
            if next(failures):
                raise DeliveryFailedError("HTTP 502")

        deliverer = Deliverer(db, Delivery, {"webhook": flaky}, base_s=0.0, cap_s=0.0)
        for _ in range(5):
            deliverer.run_once()
        with db.session() as session:
            (row,) = session.scalars(select(Delivery)).all()
            assert (row.status, row.attempts) == ("delivered", 3)
    finally:
        db.dispose()
