"""Arrow schema of learning events in the lake and conversions to/from ``LearningEvent``.

Events are stored flat (one column per field, ``context`` as JSON text) and hive-partitioned
by ``event_date`` (UTC day, ``YYYY-MM-DD``) and ``verb``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from features.events import (
    EventContext,
    EventObject,
    EventResult,
    LearningEvent,
    ProgressUpdateEvent,
)

EVENTS_DATASET = "events"
EVENT_PARTITIONS = ("event_date", "verb")
EVENTS_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("learner_id", pa.string(), nullable=False),
        pa.field("timestamp", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("verb", pa.string(), nullable=False),
        pa.field("object_id", pa.string(), nullable=False),
        pa.field("object_type", pa.string(), nullable=False),
        pa.field("course_id", pa.string()),
        pa.field("skill_ids", pa.list_(pa.string())),
        pa.field("correct", pa.bool_()),
        pa.field("score", pa.float64()),
        pa.field("duration_s", pa.float64()),
        pa.field("response", pa.string()),
        pa.field("hints_used", pa.int32()),
        pa.field("context", pa.string()),
        pa.field("source", pa.string()),
        pa.field("schema_version", pa.string(), nullable=False),
        pa.field("event_date", pa.string(), nullable=False),
    ]
)


def _row_values(event: LearningEvent) -> tuple[Any, ...]:
    """One event as a tuple in :data:`EVENTS_SCHEMA` column order."""
    result = event.result
    context = event.context
    context_json = context.model_dump_json(exclude_defaults=True)
    timestamp = event.timestamp
    obj = event.object
    return (
        str(event.event_id),
        event.learner_id,
        timestamp,
        event.verb.value,
        obj.id,
        obj.type.value,
        obj.course_id,
        list(event.skill_ids),
        result.correct if result else None,
        result.score if result else None,
        result.duration_s if result else None,
        result.response if result else None,
        result.hints_used if result else None,
        None if context_json == "{}" else context_json,
        context.source,
        event.schema_version,
        timestamp.date().isoformat(),
    )


def event_to_row(event: LearningEvent) -> dict[str, Any]:
    """Flatten one event into a row matching :data:`EVENTS_SCHEMA`."""
    return dict(zip(EVENTS_SCHEMA.names, _row_values(event), strict=True))


def events_to_table(events: Iterable[LearningEvent]) -> pa.Table:
    """Build an arrow table (schema :data:`EVENTS_SCHEMA`) from events (column by column)."""
    rows = [_row_values(e) for e in events]
    if not rows:
        return EVENTS_SCHEMA.empty_table()
    transposed = zip(*rows, strict=True)
    columns = [pa.array(v, type=f.type) for v, f in zip(transposed, EVENTS_SCHEMA, strict=True)]
    return pa.Table.from_arrays(columns, schema=EVENTS_SCHEMA)


def _row_to_event(row: dict[str, Any]) -> LearningEvent:
    result_fields = ("correct", "score", "duration_s", "response", "hints_used")
    result = {k: row[k] for k in result_fields if row.get(k) is not None}
    return LearningEvent(
        event_id=uuid.UUID(row["event_id"]),
        learner_id=row["learner_id"],
        timestamp=row["timestamp"],
        verb=row["verb"],
        object=EventObject(
            id=row["object_id"], type=row["object_type"], course_id=row["course_id"]
        ),
        skill_ids=row["skill_ids"] or [],
        result=EventResult(**result) if result else None,
        context=EventContext(**json.loads(row["context"])) if row["context"] else EventContext(),
        schema_version=row["schema_version"],
    )


def events_from_table(table: pa.Table) -> list[LearningEvent]:
    """Rebuild ``LearningEvent`` objects from a lake table."""
    return [_row_to_event(row) for row in table.to_pylist()]


PROGRESS_DATASET = "progress"
PROGRESS_PARTITIONS = ("event_date",)
PROGRESS_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("learner_id", pa.string(), nullable=False),
        pa.field("skill_id", pa.string(), nullable=False),
        pa.field("mastery", pa.float64(), nullable=False),
        pa.field("previous_mastery", pa.float64()),
        pa.field("model_name", pa.string(), nullable=False),
        pa.field("model_version", pa.string(), nullable=False),
        pa.field("cause_event_id", pa.string(), nullable=False),
        pa.field("timestamp", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("schema_version", pa.string(), nullable=False),
        pa.field("event_date", pa.string(), nullable=False),
    ]
)


def progress_to_table(events: Iterable[ProgressUpdateEvent]) -> pa.Table:
    """Build an arrow table (schema :data:`PROGRESS_SCHEMA`) from progress updates."""
    rows = [
        {
            **e.model_dump(mode="python"),
            "event_id": str(e.event_id),
            "cause_event_id": str(e.cause_event_id),
            "event_date": e.timestamp.date().isoformat(),
        }
        for e in events
    ]
    return pa.Table.from_pylist(rows, schema=PROGRESS_SCHEMA)
