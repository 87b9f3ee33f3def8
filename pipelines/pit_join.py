"""Point-in-time feature join with Feast's semantics, computed by DuckDB.

The feature views, their join keys, features and TTLs come from the Feast repo
(``features.feature_repo.definitions``, feature service ``recommendation_v1``); the offline
tables are built from the events snapshot by the same Athena/DuckDB SQL the feature store uses
(``features/sql``). The join is Feast's ``get_historical_features``: for every entity row the
latest feature row of the same key with ``feature_ts <= entity_ts`` and within the view's TTL.

Why not call Feast for it: its file offline store merges every entity row with every feature
row of the key before filtering (quadratic per learner) — 27k rows take a minute here and the
326k rows of ASSISTments 2009 run out of memory. :func:`feast_join` runs the real Feast
retrieval; the tests check that both agree. Unlike Feast's file store, rows without a feature
row at or before their time are kept, with the features' no-history values (:data:`EMPTY`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from features.lake import PROGRESS_SCHEMA
from features.sql import TRINO_SHIMS, view_sql
from features.sql.feature_tables import FEATURE_TABLE_SCHEMAS, replace_table

if TYPE_CHECKING:
    from learnloop.settings import Settings

SERVICE = "recommendation_v1"
ROW_COLUMNS = ["learner_id", "event_id", "timestamp", "item_id", "skill_id", "correct"]
# Feature values of a key with no history yet: counts 0, smoothed rates at their prior.
EMPTY: dict[str, float] = {
    "accuracy": 0.5,
    "accuracy_7d": 0.5,
    "item_correct_rate": 0.5,
    "item_difficulty": 0.5,
}


@dataclass(frozen=True)
class ViewSpec:
    """What the join needs of one Feast feature view."""

    name: str
    table: str
    join_key: str
    features: tuple[str, ...]
    ttl: timedelta


def service_views(service: str = SERVICE, offline_root: Path | None = None) -> list[ViewSpec]:
    """The feature views of a Feast feature service (read from the repo declarations)."""
    from features.feature_repo.definitions import build

    objects = build(offline_root or Path("offline"))
    services = {o.name: o for o in objects if type(o).__name__ == "FeatureService"}
    views = {o.name: o for o in objects if type(o).__name__ == "FeatureView"}
    entities = {o.name: o.join_key for o in objects if type(o).__name__ == "Entity"}
    if service not in services:
        raise KeyError(f"unknown feature service {service!r}; known: {', '.join(services)}")
    specs = []
    for projection in services[service].feature_view_projections:
        view = views[projection.name]
        source = view.batch_source or view.stream_source
        table = Path(source.path).name
        keys = [entities[name] for name in view.entities]
        specs.append(
            ViewSpec(
                view.name,
                table,
                keys[0],
                tuple(f.name for f in projection.features),
                view.ttl or timedelta(days=36500),
            )
        )
    return specs


def build_feature_tables(events: pa.Table, out_dir: Path) -> dict[str, int]:
    """Offline feature tables (``features/sql`` views) over an events table; rows per table."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for shim in TRINO_SHIMS:
        con.execute(shim)
    con.register("events", events)
    con.register("progress", PROGRESS_SCHEMA.empty_table())
    counts = {}
    for name, schema in FEATURE_TABLE_SCHEMAS.items():
        result = con.sql(view_sql(name)).to_arrow_table()
        table = pa.Table.from_arrays(
            [_cast(result.column(f.name), f.type) for f in schema], schema=schema
        )
        replace_table(out_dir / name, table)
        counts[name] = table.num_rows
    con.close()
    return counts


def _cast(column: Any, target: pa.DataType) -> Any:
    if pa.types.is_timestamp(target) and column.type.tz is None:
        column = column.cast(pa.timestamp("us")).cast(target)  # DuckDB naive TIMESTAMP = UTC
    return column.cast(target)


def graded_rows(events: pd.DataFrame) -> pd.DataFrame:
    """Answers with an outcome, one row per skill, in the order of ``events``."""
    answers = events[(events["verb"] == "answered") & events["correct"].notna()]
    rows = answers[["learner_id", "event_id", "timestamp", "object_id", "skill_ids", "correct"]]
    rows = rows.explode("skill_ids").dropna(subset=["skill_ids"])
    rows = rows.rename(columns={"object_id": "item_id", "skill_ids": "skill_id"})
    rows["correct"] = rows["correct"].astype("int8")
    return rows[ROW_COLUMNS].reset_index(drop=True)


def answers_with_features(events: pa.Table, tables_dir: Path) -> tuple[pd.DataFrame, list[str]]:
    """The graded answers of ``events`` (learner/time order, one row per skill) with the
    service's features as of just before each answer (entity time = answer time - 1 µs, so
    an answer never sees its own outcome); the offline tables are written to ``tables_dir``.
    Returns the rows and the feature names."""
    events = events.sort_by([("learner_id", "ascending"), ("timestamp", "ascending")])
    build_feature_tables(events, tables_dir)
    rows = graded_rows(events.to_pandas())
    entities = pd.DataFrame(
        {
            "learner_id": rows["learner_id"],
            "item_id": rows["item_id"],
            "event_timestamp": rows["timestamp"] - pd.Timedelta(microseconds=1),
        }
    )
    views = service_views(offline_root=tables_dir)
    joined = point_in_time_join(entities, views, tables_dir)
    features = [f for view in views for f in view.features]
    return pd.concat([rows, joined[features]], axis=1), features


def point_in_time_join(
    entities: pd.DataFrame, views: list[ViewSpec], offline_root: Path
) -> pd.DataFrame:
    """``entities`` (join keys + ``event_timestamp``, UTC) with every view's features as of
    each row's timestamp; same row order, no row dropped."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    frame = entities.reset_index(drop=True).copy()
    frame["__row"] = range(len(frame))
    con.register("entity_rows", frame[["__row", "event_timestamp", *_keys(views)]])
    result = frame
    for view in views:
        path = str(offline_root / view.table / "*.parquet")
        columns = ", ".join(f'f."{c}"' for c in view.features)
        ttl_us = int(view.ttl.total_seconds() * 1_000_000)
        sql = f"""
            SELECT e.__row, {columns}, f.event_timestamp AS __feature_ts
            FROM entity_rows AS e
            ASOF LEFT JOIN read_parquet('{path}') AS f
              ON e."{view.join_key}" = f."{view.join_key}"
             AND e.event_timestamp >= f.event_timestamp
        """  # noqa: S608 - identifiers come from the Feast declarations
        joined = con.sql(sql).df().sort_values("__row").reset_index(drop=True)
        age = frame["event_timestamp"] - joined["__feature_ts"]
        stale = joined["__feature_ts"].isna() | (age > pd.Timedelta(microseconds=ttl_us))
        for column in view.features:
            values = joined[column].where(~stale)
            result[column] = values.fillna(EMPTY.get(column, 0)).to_numpy()
    con.close()
    return result.drop(columns="__row")


def _keys(views: list[ViewSpec]) -> list[str]:
    return sorted({v.join_key for v in views})


def feast_join(
    entities: pd.DataFrame,
    offline_root: Path,
    settings: Settings,
    views: list[ViewSpec] | None = None,
) -> pd.DataFrame:
    """The same join by Feast's own ``get_historical_features`` (reference; small data only).

    ``views`` default to the service's. Feast's file store drops a row when any requested view
    has no feature row at or before its time; such rows come back here with the no-history
    values (ask one view at a time to compare view by view). Rows are re-joined by key.
    """
    from features.feature_repo.store import apply, open_store

    repo_settings = settings.model_copy(
        update={
            "features": settings.features.model_copy(
                update={"repo_path": offline_root.parent / "feast", "offline_path": offline_root}
            )
        }
    )
    store = open_store(repo_settings)
    apply(repo_settings, store)
    views = views or service_views(SERVICE, offline_root)
    refs = [f"{view.name}:{feature}" for view in views for feature in view.features]
    frame = entities.reset_index(drop=True).copy()
    frame["__row"] = range(len(frame))
    found = store.get_historical_features(entity_df=frame, features=refs).to_df()
    names = [f for view in views for f in view.features]
    merged = frame.merge(found[["__row", *names]], on="__row", how="left").sort_values("__row")
    for name in names:
        merged[name] = merged[name].fillna(EMPTY.get(name, 0))
    return merged.drop(columns="__row").reset_index(drop=True)
