"""Erasure in the pipeline's datasets: only files with a ``learner_id`` column, only the rows."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.privacy import erase_learner, learner_datasets


def test_erasure_rewrites_only_the_learners_rows(tmp_path: Path) -> None:
    run, artifacts = tmp_path / "pipeline", tmp_path / "mlflow"
    rows = pa.table({"learner_id": ["a", "b", None, "a"], "x": [1, 2, 3, 4]})
    (run / "features").mkdir(parents=True)
    (artifacts / "ref").mkdir(parents=True)
    pq.write_table(rows, run / "features" / "training_set.parquet")
    pq.write_table(rows.slice(0, 2), artifacts / "ref" / "predictions.parquet")
    items = pa.table({"item_id": ["a"], "n": [1]})  # "a" is an item id here, not a learner
    pq.write_table(items, run / "features" / "item_stats.parquet")
    found = [p.relative_to(tmp_path).as_posix() for p in learner_datasets([run, artifacts])]
    assert found == ["pipeline/features/training_set.parquet", "mlflow/ref/predictions.parquet"]

    erased = erase_learner([run, artifacts, tmp_path / "missing"], "a")
    assert (erased.files_rewritten, erased.rows_deleted) == (2, 3)
    kept = pq.read_table(run / "features" / "training_set.parquet")
    assert kept.to_pydict() == {"learner_id": ["b", None], "x": [2, 3]}
    assert pq.read_table(run / "features" / "item_stats.parquet").equals(items)
    assert not list(tmp_path.rglob("*.erasing"))
    assert erase_learner([run, artifacts], "a").rows_deleted == 0
