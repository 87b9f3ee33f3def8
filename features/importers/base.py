"""Shared machinery of dataset importers: row errors, the import report, the lake sink.

An importer is a generator of :class:`ParsedRow` (an event, or the errors of one source row).
:func:`run_import` drives it:

* ``on_error="fail"`` stops at the first bad row and raises :class:`DatasetImportError`
  (with the report); nothing is written.
* ``on_error="skip"`` leaves bad rows out, writes the good ones and reports counts and the
  first :data:`MAX_REPORTED_ERRORS` errors. Rows are atomic: a row is written whole or not at all.

Events are staged and published in one step (see :class:`features.lake.store.StagedWriter`):
a crash or an error never leaves part of an import visible. Event ids are derived from the
source (``uuid5``), so importing the same file twice produces the same ids and the same files.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from features.events import LearningEvent
from features.lake import Lake, events_to_table
from features.lake.schema import EVENT_PARTITIONS, EVENTS_DATASET

EVENT_NAMESPACE = uuid.UUID("5f0c8f1e-2b7d-4f39-9a59-3c1f7f6b2a10")
MAX_REPORTED_ERRORS = 100
CHUNK_ROWS = 250_000


class OnError(StrEnum):
    """What to do with a malformed row."""

    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class RowError:
    """One problem in one source row: 1-based ``row`` (data rows, header excluded)."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.reason}"


@dataclass(frozen=True)
class ParsedRow:
    """Result of parsing one source row: events (usually one) or errors."""

    row: int
    events: tuple[LearningEvent, ...] = ()
    errors: tuple[RowError, ...] = ()


@dataclass
class ImportReport:
    """Counts and errors of one import."""

    source: str
    rows_read: int = 0
    rows_skipped: int = 0
    events_written: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    files: list[str] = field(default_factory=list)

    def add_errors(self, errors: Iterable[RowError]) -> None:
        """Record errors, keeping the first :data:`MAX_REPORTED_ERRORS`."""
        for error in errors:
            self.error_count += 1
            if len(self.errors) < MAX_REPORTED_ERRORS:
                self.errors.append(error)

    def summary(self) -> str:
        """One human-readable line."""
        return (
            f"{self.source}: {self.rows_read} rows read, {self.events_written} events written, "
            f"{self.rows_skipped} rows skipped ({self.error_count} errors)"
        )


class DatasetImportError(ValueError):
    """An import stopped on bad input; ``report`` says where and why."""

    def __init__(self, report: ImportReport):
        self.report = report
        first = "; ".join(str(e) for e in report.errors[:3])
        super().__init__(f"{report.source}: {first}")


def event_id(source: str, *key: object) -> uuid.UUID:
    """Deterministic event id for a source row."""
    return uuid.uuid5(EVENT_NAMESPACE, ":".join([source, *map(str, key)]))


def file_digest(*paths: Path) -> str:
    """Short content hash of files (the batch id of their import)."""
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def run_import(
    rows: Iterator[ParsedRow],
    lake: Lake,
    *,
    source: str,
    batch_id: str,
    on_error: OnError = OnError.FAIL,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate every row, then write the events to the lake in one atomic publish."""
    report = ImportReport(source=source)
    with lake.staged_writer(
        EVENTS_DATASET, partition_cols=EVENT_PARTITIONS, batch_id=batch_id
    ) as writer:
        chunk: list[LearningEvent] = []
        for parsed in rows:
            report.rows_read += 1
            if progress:
                progress(1)
            if parsed.errors:
                report.add_errors(parsed.errors)
                if on_error is OnError.FAIL:
                    raise DatasetImportError(report)
                report.rows_skipped += 1
                continue
            chunk.extend(parsed.events)
            if len(chunk) >= CHUNK_ROWS:
                writer.write(events_to_table(chunk))
                report.events_written += len(chunk)
                chunk = []
        writer.write(events_to_table(chunk))
        report.events_written += len(chunk)
    report.files = writer.result.files
    return report
