"""The pipeline's DuckDB point-in-time join returns what Feast's own retrieval returns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.compute as pc
import pytest

from features.importers.kt_folds import kt_dataset_table
from learnloop.settings import Settings
from pipelines.pit_join import (
    build_feature_tables,
    feast_join,
    graded_rows,
    point_in_time_join,
    service_views,
)

pytestmark = pytest.mark.integration


def test_duckdb_join_matches_feast_get_historical_features(
    tmp_path: Path, dataset_dir: Path
) -> None:
    events = kt_dataset_table(dataset_dir, "assist2009")
    keep = pc.unique(events.column("learner_id"))[:12]
    events = events.filter(pc.is_in(events.column("learner_id"), keep))
    tables = tmp_path / "feature_tables"
    build_feature_tables(events, tables)
    rows = graded_rows(events.to_pandas()).sample(n=300, random_state=0)
    entities = pd.DataFrame(
        {
            "learner_id": rows["learner_id"].to_numpy(),
            "item_id": rows["item_id"].to_numpy(),
            "event_timestamp": (rows["timestamp"] - pd.Timedelta(microseconds=1)).to_numpy(),
        }
    )
    views = service_views(offline_root=tables)
    ours = point_in_time_join(entities, views, tables)
    assert sum(len(v.features) for v in views) == 12
    settings = Settings(data_dir=tmp_path)
    for view in views:  # Feast's file store drops a row if any requested view has no row
        theirs = feast_join(entities, tables, settings, [view])
        columns = list(view.features)
        pd.testing.assert_frame_equal(
            ours[columns].astype(float), theirs[columns].astype(float), check_exact=False
        )
    # an answer on an item's first day has no item snapshot yet: no-history values
    assert (ours["item_attempt_count"] == 0).any() and (ours["item_correct_rate"] == 0.5).any()
