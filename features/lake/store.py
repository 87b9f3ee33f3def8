"""Partitioned parquet datasets in the lake, written atomically.

A write lands first in ``<dataset>/_staging/<batch_id>/`` (ignored by readers, whose discovery
skips names starting with ``_`` or ``.``) and is then published through a plan object (see
:mod:`features.lake.txn`): readers see all of a batch or none of it, even if the writer is
killed mid-publish, and a publish may atomically replace older files (compaction, erasure).
File names carry the batch id, so retrying a batch overwrites its own files instead of
duplicating rows. A ``shard`` (the Kafka partition of a stream sink) is kept in the file name
(``part-k<shard>-...``) so per-shard readers need not scan the whole day.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.dataset as ds
from pyarrow import fs

from features.lake.filesystem import LakeLocation, open_lake
from features.lake.schema import EVENT_PARTITIONS, EVENTS_DATASET, EVENTS_SCHEMA
from features.lake.txn import (
    STAGING,
    DatasetFiles,
    Plan,
    commit,
    plan_for,
    recover,
    visible_files,
)

_SHARD = re.compile(r"/part-k(\d+)-[^/]*$")


def shard_of(path: str) -> int | None:
    """The shard tag of a data file written with ``shard=`` (``None`` if untagged)."""
    match = _SHARD.search(path)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class WriteResult:
    """What a write produced: row count and the final file paths."""

    rows: int
    files: list[str] = field(default_factory=list)


class Lake:
    """Read and write hive-partitioned parquet datasets under one lake root."""

    def __init__(self, location: LakeLocation):
        self.location = location

    @classmethod
    def from_uri(cls, uri: str, **s3_options: str | None) -> Lake:
        """Open the lake at a local path or ``s3://`` URI (see :func:`open_lake`)."""
        return cls(open_lake(uri, **s3_options))  # type: ignore[arg-type]

    @property
    def filesystem(self) -> fs.FileSystem:
        """The pyarrow filesystem of the lake."""
        return self.location.filesystem

    def dataset_path(self, dataset: str) -> str:
        """Root path of a named dataset."""
        return self.location.path(dataset)

    def write_table(
        self,
        dataset: str,
        table: pa.Table,
        *,
        partition_cols: Sequence[str] = (),
        batch_id: str | None = None,
    ) -> WriteResult:
        """Write ``table`` into ``dataset`` atomically; returns the published files."""
        with self.staged_writer(
            dataset, partition_cols=partition_cols, batch_id=batch_id
        ) as writer:
            writer.write(table)
        return writer.result

    def staged_writer(
        self,
        dataset: str,
        *,
        partition_cols: Sequence[str] = (),
        batch_id: str | None = None,
        replaces: Sequence[str] = (),
    ) -> StagedWriter:
        """A writer that stages several tables and publishes them together on success.

        ``replaces`` (paths from :meth:`files`) disappear atomically when the output appears.
        """
        return StagedWriter(
            self, dataset, tuple(partition_cols), batch_id or uuid.uuid4().hex, tuple(replaces)
        )

    def dataset_files(self, dataset: str) -> DatasetFiles:
        """Low-level file operations on one dataset (see :mod:`features.lake.txn`)."""
        return DatasetFiles(self.filesystem, self.dataset_path(dataset))

    def recover(
        self, dataset: str, *, stale_after_s: float = 600.0, shards: set[int] | None = None
    ) -> int:
        """Finish or undo publishes of writers that died; returns how many were settled.

        With ``shards``: settle now, whatever their age, the plans writing or replacing files of
        those shards (call it when taking over partitions, before reading them).
        """
        only = None
        if shards is not None:

            def only(plan: Plan) -> bool:
                paths = [final for _, final in plan.outputs] + list(plan.inputs)
                return any(shard_of("/" + p) in shards for p in paths)

        return recover(self.dataset_files(dataset), stale_after_s=stale_after_s, only=only)

    def exists(self, dataset: str) -> bool:
        """True when ``dataset`` holds at least one data file."""
        return bool(self.files(dataset))

    def files(self, dataset: str, under: str = "") -> list[str]:
        """Published data files of ``dataset`` (optionally below the relative folder ``under``,
        e.g. ``event_date=2024-01-01``), as a reader should see them."""
        files = self.dataset_files(dataset)
        return [files.abs(p) for p in visible_files(files, under)]

    def dataset(self, dataset: str, schema: pa.Schema | None = None) -> ds.Dataset:
        """A pyarrow dataset over the published files (hive partitions as columns)."""
        return ds.dataset(
            self.files(dataset),
            schema=schema,
            filesystem=self.filesystem,
            format="parquet",
            partitioning=ds.HivePartitioning.discover(infer_dictionary=False),
            partition_base_dir=self.dataset_path(dataset),
        )

    def read_table(
        self,
        dataset: str,
        *,
        columns: Sequence[str] | None = None,
        filter: ds.Expression | None = None,
        schema: pa.Schema | None = None,
    ) -> pa.Table:
        """Read ``dataset`` (optionally some columns / a row filter); empty if it does not exist."""
        files = self.files(dataset)
        if not files:
            if schema is None:
                return pa.table({})
            return schema.empty_table().select(list(columns) if columns else schema.names)
        return self.dataset(dataset, schema).to_table(
            columns=list(columns) if columns else None, filter=filter
        )

    def write_events(self, table: pa.Table, *, batch_id: str | None = None) -> WriteResult:
        """Write an events table (schema :data:`EVENTS_SCHEMA`) partitioned by date and verb."""
        return self.write_table(
            EVENTS_DATASET,
            table.cast(EVENTS_SCHEMA),
            partition_cols=EVENT_PARTITIONS,
            batch_id=batch_id,
        )

    def read_events(
        self, *, columns: Sequence[str] | None = None, filter: ds.Expression | None = None
    ) -> pa.Table:
        """Read learning events (columns in :data:`EVENTS_SCHEMA` order)."""
        return self.read_table(EVENTS_DATASET, columns=columns, filter=filter, schema=EVENTS_SCHEMA)


class StagedWriter:
    """Context manager: tables written inside land in staging; published together on exit.

    If the block raises, the staged files are deleted and nothing becomes visible.
    """

    def __init__(
        self,
        lake: Lake,
        dataset: str,
        partition_cols: tuple[str, ...],
        batch_id: str,
        replaces: tuple[str, ...] = (),
    ):
        self.lake = lake
        self.dataset = dataset
        self.partition_cols = partition_cols
        self.batch_id = batch_id
        self.replaces = replaces
        self.files = lake.dataset_files(dataset)
        self.staging = lake.location.path(dataset, STAGING, batch_id)
        self.result = WriteResult(rows=0)
        self._staged: list[str] = []
        self._rows = 0
        self._chunks = 0

    def write(self, table: pa.Table, *, shard: int | None = None) -> None:
        """Stage ``table`` (may be called many times); ``shard`` tags the file names."""
        if table.num_rows == 0:
            return
        tag = "" if shard is None else f"k{shard}-"
        partitioning = (
            ds.partitioning(table.select(list(self.partition_cols)).schema, flavor="hive")
            if self.partition_cols
            else None
        )
        ds.write_dataset(
            table,
            self.staging,
            format="parquet",
            partitioning=partitioning,
            filesystem=self.lake.filesystem,
            basename_template=f"part-{tag}{self.batch_id}-{self._chunks}-{{i}}.parquet",
            existing_data_behavior="overwrite_or_ignore",
            file_visitor=lambda f: self._staged.append(f.path),
        )
        self._chunks += 1
        self._rows += table.num_rows

    def __enter__(self) -> StagedWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            if exc_type is None and (self._staged or self.replaces):
                plan = plan_for(
                    self.batch_id,
                    sorted(self.files.rel(p) for p in self._staged),
                    f"{STAGING}/{self.batch_id}",
                    [self.files.rel(p) for p in self.replaces],
                )
                commit(self.files, plan)
                files = [self.files.abs(final) for _, final in plan.outputs]
                self.result = WriteResult(rows=self._rows, files=files)
        finally:
            self.files.discard_staging(self.batch_id)
