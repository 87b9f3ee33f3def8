"""A learner's rows in the training pipeline's datasets (GDPR export and erasure).

The pipeline copies learners' data into its outputs: the events snapshot, the training set, the
offline feature tables it builds, the evaluation's predictions, and the drift reference logged
to MLflow as run artifacts. Every parquet file under those folders with a ``learner_id`` column
is found here, whatever step wrote it; erasure rewrites each one without the learner's rows
(written aside, then renamed over the file). Models already trained on the data are not
changed: the next training run, on the erased lake, replaces them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from features.lake.maintenance import without_learner
from learnloop.settings import Settings

SUBJECT_COLUMN = "learner_id"


@dataclass(frozen=True)
class Erased:
    """What an erasure changed."""

    files_rewritten: int
    rows_deleted: int


def dataset_roots(settings: Settings) -> dict[str, Path]:
    """Where the training data lies, by name: the pipeline's output folder, and MLflow's
    artifact store when it is a local one (an S3 store is not reached)."""
    roots = {"pipeline": settings.pipeline_root}
    artifacts = settings.mlflow_artifact_location
    if "://" not in artifacts or artifacts.startswith("file://"):
        roots["mlflow_artifacts"] = Path(artifacts.removeprefix("file://"))
    return roots


def learner_datasets(roots: Iterable[Path]) -> Iterator[Path]:
    """Every parquet file under ``roots`` that has a ``learner_id`` column, in path order
    (missing roots are skipped)."""
    for root in roots:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*.parquet")):
            if path.is_file() and SUBJECT_COLUMN in pq.read_schema(path).names:
                yield path


def erase_learner(roots: Iterable[Path], learner_id: str) -> Erased:
    """Rewrite every learner dataset under ``roots`` without ``learner_id``'s rows."""
    files = rows = 0
    for path in learner_datasets(roots):
        removed = _rewrite_without(path, learner_id)
        if removed:
            files += 1
            rows += removed
    return Erased(files, rows)


def _rewrite_without(path: Path, learner_id: str) -> int:
    kept, removed = without_learner(pq.read_table(path), learner_id)
    if removed:
        tmp = path.with_name(f".{path.name}.erasing")
        pq.write_table(kept, tmp)
        tmp.replace(path)
    return removed
