"""Helpers for the pipeline tests: a small lake from the shipped folds, a fresh MLflow store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.compute as pc

from features.importers.kt_folds import kt_dataset_table
from features.lake import Lake


def write_kt_subset(dataset_dir: Path, lake_dir: Path, learners: int) -> None:
    """The first ``learners`` learners of ASSISTments 2009 as events in a lake at ``lake_dir``
    (``source`` = ``assist2009_pid``)."""
    events = kt_dataset_table(dataset_dir, "assist2009")
    keep = pc.unique(events.column("learner_id"))[:learners]
    subset = events.filter(pc.is_in(events.column("learner_id"), keep))
    Lake.from_uri(str(lake_dir)).write_events(subset, batch_id="subset")


def copy_mlflow_store(template: Path, data_dir: Path) -> Path:
    """Put a copy of the migrated empty MLflow database where settings expect it."""
    target = data_dir / "mlflow" / "mlflow.db"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, target)
    return target
