"""Step ``ingest``: the lake's events → a sorted snapshot of the events to train on.

Input is the lake (``LEARNLOOP_LAKE__URI``). When ``data.dataset`` names a shipped dataset that
the lake lacks, it is imported first (idempotent). The step's fingerprint includes the lake's
file listing (paths and sizes), so new events make the next run re-ingest and nothing else does.

Everything selected is snapshotted and validated; ``data.max_learners`` sampling happens in the
features step, so bad rows anywhere in the selection stop the pipeline.

Outputs: ``events.parquet`` (sorted by learner, time, event id), ``schema_issues.json`` (files
whose columns differ from the events schema, empty partitions, unreadable files — the validate
step turns them into failed checks) and ``summary.json``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from features.lake import EVENT_PARTITIONS, EVENTS_DATASET, EVENTS_SCHEMA, Lake
from learnloop.settings import Settings
from pipelines.context import StepContext, StepResult
from pipelines.params import DataParams, PipelineParams

SORT_KEYS = [("learner_id", "ascending"), ("timestamp", "ascending"), ("event_id", "ascending")]


def _lake(settings: Settings) -> Lake:
    from learnloop.resources import lake_from_settings

    return lake_from_settings(settings)


def ensure_dataset(settings: Settings, data: DataParams, lake: Lake) -> None:
    """Import the shipped dataset ``data.dataset`` into the lake unless it is there already."""
    if not data.dataset:
        return
    from features.importers import import_kt_dataset, is_kt_dataset_imported
    from learnloop.resources import datasets_dir

    if not is_kt_dataset_imported(lake, data.dataset):
        import_kt_dataset(datasets_dir(settings), data.dataset, lake)


def lake_listing(lake: Lake) -> list[tuple[str, int]]:
    """``(path, size)`` of every published events file."""
    files = lake.files(EVENTS_DATASET)
    infos = lake.filesystem.get_file_info(files) if files else []
    return sorted((info.path, int(info.size or 0)) for info in infos)


def fingerprint_extra(settings: Settings, params: PipelineParams) -> Any:
    """The lake's listing (after importing the shipped dataset if it is missing)."""
    lake = _lake(settings)
    ensure_dataset(settings, params.data, lake)
    return {"lake": lake.location.uri, "files": lake_listing(lake)}


def source_name(data: DataParams) -> str | None:
    """The ``source`` column value to keep (``None``: every event)."""
    if data.source == "*":
        return None
    if data.source:
        return data.source
    if data.dataset:
        from features.datasets.kt_folds import resolve_name

        return resolve_name(data.dataset)
    return None


def schema_issues(lake: Lake, files: list[str]) -> list[str]:
    """Files whose columns differ from the events schema, empty or unreadable files."""
    expected = set(EVENTS_SCHEMA.names) - set(EVENT_PARTITIONS)
    issues = []
    base = lake.dataset_path(EVENTS_DATASET)
    for path in files:
        rel = path[len(base) :].lstrip("/")
        try:
            with lake.filesystem.open_input_file(path) as fh:
                meta = pq.read_metadata(fh)
        except (OSError, pa.ArrowException) as exc:
            issues.append(f"{rel}: unreadable parquet file ({exc})")
            continue
        names = set(meta.schema.to_arrow_schema().names) - set(EVENT_PARTITIONS)
        missing, extra = sorted(expected - names), sorted(names - expected)
        if missing:
            issues.append(f"{rel}: missing column(s) {', '.join(missing)}")
        if extra:
            issues.append(f"{rel}: unexpected column(s) {', '.join(extra)}")
        if meta.num_rows == 0:
            issues.append(f"{rel}: empty partition file (0 rows)")
    return issues


def read_events(lake: Lake, files: list[str], issues: list[str]) -> pa.Table:
    """Read ``files`` as events; a file that does not cast is reported and left out."""
    try:
        return lake.read_events()
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        pass
    base = lake.dataset_path(EVENTS_DATASET)
    tables = []
    for path in files:
        rel = path[len(base) :].lstrip("/")
        try:
            tables.append(_read_file(lake, path, rel))
        except (OSError, pa.ArrowException) as exc:
            issues.append(f"{rel}: does not match the events schema ({exc})")
    return pa.concat_tables(tables) if tables else EVENTS_SCHEMA.empty_table()


def _read_file(lake: Lake, path: str, rel: str) -> pa.Table:
    table = pq.read_table(path, filesystem=lake.filesystem)
    hive = dict(part.split("=", 1) for part in rel.split("/")[:-1] if "=" in part)
    columns = []
    for field in EVENTS_SCHEMA:
        if field.name in table.column_names:
            columns.append(table.column(field.name).cast(field.type))
        elif field.name in hive:
            columns.append(pa.array([hive[field.name]] * table.num_rows, field.type))
        else:
            columns.append(pa.nulls(table.num_rows, field.type))
    return pa.Table.from_arrays(columns, schema=EVENTS_SCHEMA)


def sample_learners(table: pa.Table, max_learners: int | None, seed: int) -> pa.Table:
    """At most ``max_learners`` learners, chosen by a seeded hash (stable across runs)."""
    if max_learners is None:
        return table
    learners = pc.unique(table.column("learner_id")).to_pylist()
    if len(learners) <= max_learners:
        return table

    def rank(learner: str) -> str:
        return hashlib.md5(f"sample:{seed}:{learner}".encode(), usedforsecurity=False).hexdigest()

    keep = sorted(learners, key=rank)[:max_learners]
    return table.filter(pc.is_in(table.column("learner_id"), pa.array(keep)))


def run(ctx: StepContext) -> StepResult:
    """Snapshot the selected events of the lake into ``ctx.out``."""
    data = ctx.params.data
    lake = _lake(ctx.settings)
    ensure_dataset(ctx.settings, data, lake)
    files = lake.files(EVENTS_DATASET)
    issues = schema_issues(lake, files)
    table = read_events(lake, files, issues)
    source = source_name(data)
    if source is not None and table.num_rows:
        table = table.filter(pc.equal(table.column("source"), source))
    table = table.sort_by(SORT_KEYS)
    pq.write_table(table, ctx.out / "events.parquet")
    (ctx.out / "schema_issues.json").write_text(json.dumps(issues, indent=1))
    learners = len(pc.unique(table.column("learner_id"))) if table.num_rows else 0
    summary = {
        "rows": table.num_rows,
        "learners": learners,
        "files": len(files),
        "source": source or "*",
        "first": str(pc.min(table.column("timestamp"))) if table.num_rows else None,
        "last": str(pc.max(table.column("timestamp"))) if table.num_rows else None,
    }
    (ctx.out / "summary.json").write_text(json.dumps(summary, indent=1))
    ctx.report(f"{table.num_rows} events of {learners} learners from {len(files)} lake files")
    return StepResult(
        metrics={"events": table.num_rows, "learners": learners, "schema_issues": len(issues)},
        summary=f"{table.num_rows} events, {learners} learners",
    )
