"""Apply the ARS, NS and integration migrations and compare the result with their models."""

from __future__ import annotations

import importlib
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from services.common.db import Database
from services.common.migrate import upgrade_database

SERVICES = ("analytics", "notifications", "integrations")


def migrate(url: str) -> None:
    """``upgrade heads`` of every service branch (as the platform does on start)."""
    upgrade_database(url)


def _ours(diff: Any, metadata: MetaData) -> bool:
    """Ignore other services' tables (they look like removals from this metadata)."""
    if diff[0] == "remove_table":
        return diff[1].name in metadata.tables
    if diff[0] == "remove_index":
        return diff[1].table.name in metadata.tables
    return True


def assert_matches_models(db: Database) -> None:
    """No difference between the migrated schema and each service's models."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        for name in SERVICES:
            metadata = importlib.import_module(f"services.{name}.models").Base.metadata
            diffs = [d for d in compare_metadata(context, metadata) if _ours(d, metadata)]
            assert diffs == [], (name, diffs)
