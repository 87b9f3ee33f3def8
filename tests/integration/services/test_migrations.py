"""Alembic builds every service's tables from empty, matching the models exactly; and back."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from services.common.migrate import downgrade_database, migrating_services, upgrade_database
from services.common.tables import all_metadata

pytestmark = pytest.mark.integration


def test_upgrade_from_empty_matches_the_models_and_downgrades_to_empty(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert inspect(engine).get_table_names() == []
        upgrade_database(database_url)
        tables = set(inspect(engine).get_table_names())
        prefixes = {"ums_", "ccs_", "as_", "pts_"}
        assert {t.split("_")[0] + "_" for t in tables if t != "alembic_version"} >= prefixes
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, all_metadata()) == []
            heads = set(context.get_current_heads())
        assert {h.split("_0")[0] for h in heads} == set(migrating_services())
        upgrade_database(database_url)  # idempotent
        downgrade_database(database_url)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
