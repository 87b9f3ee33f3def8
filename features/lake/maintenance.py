"""Lake maintenance: compact small files, erase a learner (GDPR). Both rewrite atomically.

Rewrites go through :meth:`Lake.staged_writer` with ``replaces=``: the new files appear and the
old ones disappear in one step for readers (see :mod:`features.lake.txn`). Shard tags survive a
rewrite, so per-shard dedupe indexes stay valid.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from features.lake.store import Lake, shard_of
from features.lake.txn import ConflictError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RewriteResult:
    """Files replaced, files written, rows written, rows removed."""

    replaced: int
    written: int
    rows: int
    removed: int = 0


def _leaf(path: str) -> str:
    return path.rsplit("/", 1)[0]


def _read(lake: Lake, dataset: str, files: Sequence[str], schema: pa.Schema) -> pa.Table:
    return ds.dataset(
        list(files),
        schema=schema,
        filesystem=lake.filesystem,
        format="parquet",
        partitioning=ds.HivePartitioning.discover(infer_dictionary=False),
        partition_base_dir=lake.dataset_path(dataset),
    ).to_table()


def compact(
    lake: Lake,
    dataset: str,
    *,
    schema: pa.Schema,
    partition_cols: Sequence[str],
    under: str = "",
    min_files: int = 16,
    shards: set[int] | None = None,
    small_file_bytes: int = 64 * 1024 * 1024,
) -> RewriteResult:
    """Merge the small files (< ``small_file_bytes``) of each (partition folder, shard) into one
    file once there are ``min_files`` of them.

    Rows are deduplicated on ``event_id`` (first kept) and sorted by ``timestamp``. ``shards``
    limits the work to files of those shards (a sink compacts only partitions it owns).
    """
    groups: dict[tuple[str, int | None], list[str]] = defaultdict(list)
    paths = [p for p in lake.files(dataset, under) if shards is None or shard_of(p) in shards]
    for info in lake.filesystem.get_file_info(paths):
        if info.size is not None and info.size < small_file_bytes:
            groups[(_leaf(info.path), shard_of(info.path))].append(info.path)
    replaced = written = rows = 0
    for (_folder, shard), files in sorted(groups.items(), key=lambda g: (g[0][0], g[0][1] or -1)):
        if len(files) < min_files:
            continue
        table = dedupe_on_event_id(_read(lake, dataset, files, schema)).sort_by("timestamp")
        try:
            with lake.staged_writer(
                dataset,
                partition_cols=partition_cols,
                batch_id=f"c{uuid.uuid4().hex}",
                replaces=files,
            ) as writer:
                writer.write(table, shard=shard)
        except ConflictError as exc:
            logger.info("compaction skipped: %s", exc)
            continue
        replaced += len(files)
        written += len(writer.result.files)
        rows += table.num_rows
    return RewriteResult(replaced, written, rows)


def dedupe_on_event_id(table: pa.Table) -> pa.Table:
    """``table`` without repeated ``event_id`` values (the first occurrence is kept)."""
    if table.num_rows == 0:
        return table
    indices = pa.array(range(table.num_rows))
    first = (
        pa.table({"event_id": table.column("event_id"), "i": indices})
        .group_by("event_id", use_threads=False)
        .aggregate([("i", "min")])
        .column("i_min")
    )
    if len(first) == table.num_rows:
        return table
    return table.take(first.take(pc.sort_indices(first)))


def without_learner(table: pa.Table, learner_id: str) -> tuple[pa.Table, int]:
    """``table`` without the rows of ``learner_id`` (rows with no learner id are kept), and how
    many rows were removed: the one erasure rule of every learner-keyed table."""
    mine = pc.fill_null(pc.equal(table["learner_id"], learner_id), False)
    removed = int(pc.sum(mine).as_py() or 0)
    return (table.filter(pc.invert(mine)) if removed else table), removed


def delete_learner(
    lake: Lake,
    dataset: str,
    learner_id: str,
    *,
    schema: pa.Schema,
    partition_cols: Sequence[str],
    attempts: int = 5,
) -> RewriteResult:
    """Remove every row of ``learner_id`` from ``dataset``, rewriting affected files atomically.

    Retries when a concurrent compaction holds some of the files; idempotent.
    """
    total = RewriteResult(0, 0, 0, 0)
    for attempt in range(attempts):
        files = lake.files(dataset)
        if not files:
            return total
        dataset_obj = ds.dataset(
            files,
            schema=schema,
            filesystem=lake.filesystem,
            format="parquet",
            partitioning=ds.HivePartitioning.discover(infer_dictionary=False),
            partition_base_dir=lake.dataset_path(dataset),
        )
        match = ds.field("learner_id") == learner_id
        affected = [f.path for f in dataset_obj.get_fragments() if f.count_rows(filter=match)]
        if not affected:
            return total
        try:
            with lake.staged_writer(
                dataset, partition_cols=partition_cols, replaces=affected
            ) as writer:
                removed = kept = 0
                for path in affected:
                    table = _read(lake, dataset, [path], schema)
                    keep, gone = without_learner(table, learner_id)
                    removed += gone
                    kept += keep.num_rows
                    writer.write(keep, shard=shard_of(path))
        except ConflictError:
            time.sleep(0.5 * (attempt + 1))
            continue
        total = RewriteResult(
            total.replaced + len(affected),
            total.written + len(writer.result.files),
            total.rows + kept,
            total.removed + removed,
        )
    return total
