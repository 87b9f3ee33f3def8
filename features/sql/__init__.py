"""Athena-compatible SQL views over the lake, run locally with DuckDB.

Each ``*.sql`` file here is one view written in the subset of SQL that Athena (Trino) and DuckDB
share; the two Trino functions DuckDB lacks (``to_unixtime``, ``approx_percentile``) are defined
as DuckDB macros. Lake datasets are exposed to DuckDB as pyarrow datasets (``events``,
``progress``), so the same code reads a local folder or S3 without DuckDB's httpfs extension.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from features.lake import EVENTS_DATASET, EVENTS_SCHEMA, PROGRESS_DATASET, PROGRESS_SCHEMA, Lake

if TYPE_CHECKING:
    import duckdb

SQL_DIR = Path(__file__).resolve().parent
LAKE_TABLES = {EVENTS_DATASET: EVENTS_SCHEMA, PROGRESS_DATASET: PROGRESS_SCHEMA}
TRINO_SHIMS = (
    "CREATE MACRO to_unixtime(ts) AS epoch(ts)",
    "CREATE MACRO approx_percentile(x, p) AS approx_quantile(x, p)",
)


def view_names() -> list[str]:
    """Names of the shipped views (file names without ``.sql``)."""
    return sorted(p.stem for p in SQL_DIR.glob("*.sql"))


def view_sql(name: str) -> str:
    """The SQL text of view ``name``; ``KeyError`` names the known views."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise KeyError(f"unknown view {name!r}; known: {', '.join(view_names())}")
    return path.read_text()


def connect(lake: Lake) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection (UTC) with the lake datasets registered as tables."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for shim in TRINO_SHIMS:
        con.execute(shim)
    for name, schema in LAKE_TABLES.items():
        files = lake.files(name)
        con.register(name, lake.dataset(name, schema) if files else schema.empty_table())
    return con


def query_view(lake: Lake, name: str, con: duckdb.DuckDBPyConnection | None = None) -> pa.Table:
    """Run view ``name`` over ``lake`` and return the result as an arrow table."""
    con = con or connect(lake)
    return con.sql(view_sql(name)).to_arrow_table()
