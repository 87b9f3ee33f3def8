"""Generic interaction CSV: ``learner,item,skills,correct,timestamp``.

* ``learner``, ``item`` — ids (letters, digits, ``._:/-``).
* ``skills`` — skill ids separated by ``;`` or ``|`` (may be empty).
* ``correct`` — ``0/1/true/false``.
* ``timestamp`` — ISO 8601 (naive = UTC) or Unix epoch seconds/milliseconds.
* optional ``duration_s`` (seconds >= 0) and ``course`` columns.

Each row becomes one ``answered`` event on a ``problem``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from features.importers.base import ParsedRow, event_id
from features.importers.builders import build_row, cell
from features.importers.csv_rows import (
    parse_bool,
    parse_float,
    parse_timestamp,
    read_csv,
    split_list,
)

REQUIRED = ("learner", "item", "skills", "correct", "timestamp")
FIELD_TO_COLUMN = {
    "learner_id": "learner",
    "object.id": "item",
    "object.course_id": "course",
    "timestamp": "timestamp",
    "result.correct": "correct",
    "result.duration_s": "duration_s",
}


def read_generic_csv(path: Path, *, source: str = "csv") -> Iterator[ParsedRow]:
    """Parse a generic interaction CSV into events (see module docstring for the format)."""

    def make_event(record: Mapping[str, str]) -> dict[str, Any]:
        event: dict[str, Any] = {
            "event_id": event_id(source, record["learner"], record["item"], record["timestamp"]),
            "learner_id": record["learner"].strip(),
            "timestamp": cell(record, "timestamp", parse_timestamp),
            "verb": "answered",
            "object": {"id": record["item"].strip(), "type": "problem"},
            "skill_ids": split_list(record["skills"]),
            "result": {"correct": cell(record, "correct", parse_bool)},
            "context": {"source": source},
        }
        if record.get("duration_s", "").strip():
            event["result"]["duration_s"] = cell(
                record, "duration_s", lambda t: parse_float(t, minimum=0.0)
            )
        if record.get("course", "").strip():
            event["object"]["course_id"] = record["course"].strip()
        return event

    for row, record in read_csv(path, REQUIRED):
        yield build_row(row, record, make_event, FIELD_TO_COLUMN)
