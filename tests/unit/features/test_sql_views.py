"""Athena-compatible views over the lake, run with DuckDB."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from testkit.events import make_events

from features.lake import Lake, events_to_table
from features.sql import query_view, view_names, view_sql
from features.sql.feature_tables import FEATURE_TABLE_SCHEMAS, build_feature_tables


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = Lake.from_uri(str(tmp_path / "lake"))
    lake.write_events(events_to_table(make_events(200, learners=5)))
    return lake


def test_daily_activity_counts_every_event(lake: Lake) -> None:
    daily = query_view(lake, "daily_activity").to_pandas()
    assert daily["events"].sum() == 200
    assert set(daily["verb"]) == {"answered", "viewed"}
    assert daily["accuracy"].dropna().between(0, 1).all()


def test_item_snapshots_never_include_same_day_outcomes(lake: Lake) -> None:
    items = query_view(lake, "item_stats").to_pandas()
    events = lake.read_events(columns=["object_id", "timestamp"]).to_pandas()
    first_seen = events.groupby("object_id")["timestamp"].min()
    stamped = items.groupby("item_id")["event_timestamp"].min()
    stamped = pd.to_datetime(stamped, utc=True)
    assert (stamped > first_seen.loc[stamped.index]).all()


def test_views_use_only_the_athena_duckdb_subset() -> None:
    for name in view_names():
        sql = view_sql(name).lower()
        assert "qualify" not in sql and "asof" not in sql and "::" not in sql, name
    with pytest.raises(KeyError, match="unknown view 'nope'"):
        view_sql("nope")


def test_feature_tables_have_the_declared_schemas(lake: Lake, tmp_path: Path) -> None:
    counts = build_feature_tables(lake, tmp_path / "features")
    assert counts["learner_activity"] == 200 and counts["skill_mastery"] == 0
    import pyarrow.parquet as pq

    for name, schema in FEATURE_TABLE_SCHEMAS.items():
        assert pq.read_schema(tmp_path / "features" / name / "part-0.parquet").equals(schema)
