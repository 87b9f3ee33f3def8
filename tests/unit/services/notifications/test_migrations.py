"""The ARS, NS and integration migrations build exactly the tables the models declare."""

from __future__ import annotations

from pathlib import Path

from testkit.migrations import assert_matches_models, migrate

from services.common.db import Database


def test_migrations_match_models_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(url)
    db = Database(url)
    try:
        assert_matches_models(db)
    finally:
        db.dispose()
