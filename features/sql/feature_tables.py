"""Build the offline feature tables (parquet, read by Feast's file offline store) from the lake."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from features.lake import Lake
from features.lake.maintenance import without_learner
from features.sql import connect, query_view

TS = pa.timestamp("us", tz="UTC")
FEATURE_TABLE_SCHEMAS: dict[str, pa.Schema] = {
    "learner_activity": pa.schema(
        [
            ("learner_id", pa.string()),
            ("event_timestamp", TS),
            ("event_count", pa.int64()),
            ("attempt_count", pa.int64()),
            ("correct_count", pa.int64()),
            ("accuracy", pa.float64()),
            ("attempt_count_7d", pa.int64()),
            ("correct_count_7d", pa.int64()),
            ("accuracy_7d", pa.float64()),
            ("last_event_unix", pa.int64()),
            ("recent_items", pa.list_(pa.string())),
        ]
    ),
    "item_stats": pa.schema(
        [
            ("item_id", pa.string()),
            ("event_timestamp", TS),
            ("item_attempt_count", pa.int64()),
            ("item_correct_rate", pa.float64()),
            ("item_difficulty", pa.float64()),
            ("popularity_7d", pa.int64()),
        ]
    ),
    "skill_mastery": pa.schema(
        [
            ("learner_id", pa.string()),
            ("skill_id", pa.string()),
            ("event_timestamp", TS),
            ("mastery", pa.float64()),
            ("mastery_model_version", pa.string()),
        ]
    ),
}


def _as_utc(table: pa.Table, schema: pa.Schema) -> pa.Table:
    columns = []
    for field in schema:
        column = table.column(field.name)
        if pa.types.is_timestamp(field.type) and column.type.tz is None:
            column = column.cast(pa.timestamp("us")).cast(TS)  # DuckDB naive TIMESTAMP = UTC
        columns.append(column.cast(field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def build_feature_tables(lake: Lake, out_dir: Path) -> dict[str, int]:
    """Compute every feature table from ``lake`` into ``out_dir/<table>/``; rows per table."""
    con = connect(lake)
    counts = {}
    for name, schema in FEATURE_TABLE_SCHEMAS.items():
        table = _as_utc(query_view(lake, name, con), schema)
        replace_table(out_dir / name, table)
        counts[name] = table.num_rows
    return counts


def replace_table(folder: Path, table: pa.Table) -> Path:
    """Make ``table`` the only parquet file of ``folder`` (written aside, then renamed)."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / ".next.tmp"
    pq.write_table(table, tmp)
    for old in folder.glob("*.parquet"):
        old.unlink()
    target = folder / "part-0.parquet"
    tmp.rename(target)
    return target


LEARNER_TABLES = tuple(n for n, s in FEATURE_TABLE_SCHEMAS.items() if "learner_id" in s.names)


def delete_learner_rows(out_dir: Path, learner_id: str) -> int:
    """Rewrite the learner feature tables of ``out_dir`` without ``learner_id`` (GDPR erasure);
    rows removed. Tables are built whole in memory anyway (:func:`build_feature_tables`)."""
    removed = 0
    for name in LEARNER_TABLES:
        folder = out_dir / name
        if not any(folder.glob("*.parquet")):
            continue
        table = pq.read_table(folder, schema=FEATURE_TABLE_SCHEMAS[name])
        kept, count = without_learner(table, learner_id)
        if count:
            replace_table(folder, kept)
            removed += count
    return removed
