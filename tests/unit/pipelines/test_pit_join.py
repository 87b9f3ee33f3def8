"""Point-in-time join with Feast semantics: latest row at or before the entity time, TTL,
no leakage of later rows, rows without history kept with the no-history values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.pit_join import ViewSpec, point_in_time_join

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _table(folder: Path, rows: list[dict]) -> None:
    folder.mkdir(parents=True)
    table = pa.Table.from_pylist(rows)
    table = table.set_column(
        table.schema.get_field_index("event_timestamp"),
        "event_timestamp",
        table.column("event_timestamp").cast(pa.timestamp("us", tz="UTC")),
    )
    pq.write_table(table, folder / "part-0.parquet")


def test_join_takes_latest_row_not_after_entity_time(tmp_path: Path) -> None:
    _table(
        tmp_path / "learner_activity",
        [
            {"learner_id": "a", "event_timestamp": T0, "accuracy": 0.6},
            {"learner_id": "a", "event_timestamp": T0 + timedelta(hours=1), "accuracy": 0.7},
            {"learner_id": "a", "event_timestamp": T0 + timedelta(hours=2), "accuracy": 0.9},
            {"learner_id": "b", "event_timestamp": T0, "accuracy": 0.2},
        ],
    )
    view = ViewSpec("learner_activity_fv", "learner_activity", "learner_id", ("accuracy",),
                    timedelta(days=1))  # fmt: skip
    entities = pd.DataFrame(
        {
            "learner_id": ["a", "a", "a", "b", "c", "b"],
            "event_timestamp": pd.to_datetime(
                [
                    T0 + timedelta(minutes=59),  # sees the T0 row only
                    T0 + timedelta(hours=1),  # equal timestamp counts (Feast: <=)
                    T0 - timedelta(minutes=1),  # before any row: no history
                    T0 + timedelta(hours=3),
                    T0 + timedelta(hours=3),  # unknown key: no history
                    T0 + timedelta(days=2),  # older than the TTL: no history
                ],
                utc=True,
            ),
        }
    )
    joined = point_in_time_join(entities, [view], tmp_path)
    assert joined["accuracy"].tolist() == [0.6, 0.7, 0.5, 0.2, 0.5, 0.5]
    assert joined["learner_id"].tolist() == entities["learner_id"].tolist()
