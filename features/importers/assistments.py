"""ASSISTments skill-builder CSV (2009-10 "skill_builder_data" and later releases).

Required columns: ``order_id``, ``user_id``, ``problem_id``, ``correct``; optional
``skill_id`` / ``skill_name`` (empty allowed), ``ms_first_response``, ``hint_count``,
``original``, ``start_time``. The 2009 release repeats an attempt once per skill: rows sharing
an ``order_id`` are merged into one event carrying all their skills. ``correct`` may be a partial
credit in [0, 1] (``correct`` = credit equals 1, ``score`` = credit). Without ``start_time`` the
release has no clock: the timestamp is then ``2009-09-01 + order_id seconds`` (order-preserving)
and flagged with ``context.timestamp_synthetic``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from features.importers.base import ParsedRow, RowError, event_id
from features.importers.builders import build_row, cell
from features.importers.csv_rows import CellError, parse_float, parse_timestamp, read_csv

REQUIRED = ("order_id", "user_id", "problem_id", "correct")
SYNTHETIC_EPOCH = datetime(2009, 9, 1, tzinfo=UTC)
FIELD_TO_COLUMN = {
    "learner_id": "user_id",
    "object.id": "problem_id",
    "timestamp": "start_time",
    "result.score": "correct",
    "result.duration_s": "ms_first_response",
    "result.hints_used": "hint_count",
}


def _credit(text: str) -> float:
    value = parse_float(text)
    if not 0.0 <= value <= 1.0:
        raise CellError(f"expected a credit between 0 and 1, got {text!r}")
    return value


def _order(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise CellError(f"expected an integer order id, got {text!r}") from None


def _skill(record: Mapping[str, str]) -> str | None:
    skill = record.get("skill_id", "").strip() or record.get("skill_name", "").strip()
    return skill or None


def _make_event(record: Mapping[str, str], skills: list[str], source: str) -> dict[str, Any]:
    order = cell(record, "order_id", _order)
    credit = cell(record, "correct", _credit)
    synthetic = not record.get("start_time", "").strip()
    timestamp = (
        SYNTHETIC_EPOCH + timedelta(seconds=order)
        if synthetic
        else cell(record, "start_time", parse_timestamp)
    )
    result: dict[str, Any] = {"correct": credit == 1.0, "score": credit}
    if record.get("ms_first_response", "").strip():
        ms = cell(record, "ms_first_response", parse_float)
        result["duration_s"] = max(ms, 0.0) / 1000.0
    if record.get("hint_count", "").strip():
        result["hints_used"] = int(cell(record, "hint_count", lambda t: parse_float(t, minimum=0)))
    return {
        "event_id": event_id(source, order),
        "learner_id": f"{source}:{record['user_id'].strip()}",
        "timestamp": timestamp,
        "verb": "answered",
        "object": {"id": f"{source}:{record['problem_id'].strip()}", "type": "problem"},
        "skill_ids": skills,
        "result": result,
        "context": {"source": source, "timestamp_synthetic": synthetic},
    }


def read_assistments_csv(
    path: Path, *, source: str = "assistments", encoding: str = "utf-8"
) -> Iterator[ParsedRow]:
    """Parse a skill-builder CSV; yields one row result per distinct ``order_id``."""
    groups: dict[str, tuple[int, dict[str, str], list[str]]] = {}
    bad: list[ParsedRow] = []
    for row, record in read_csv(path, REQUIRED, encoding=encoding):
        if isinstance(record, str):
            bad.append(ParsedRow(row, errors=(RowError(row, "(row)", record),)))
            continue
        key = record["order_id"].strip()
        skill = _skill(record)
        if key in groups:
            skills = groups[key][2]
            if skill and skill not in skills:
                skills.append(skill)
        else:
            groups[key] = (row, record, [skill] if skill else [])
    parsed = [
        build_row(
            row,
            record,
            functools.partial(_make_event, skills=skills, source=source),
            FIELD_TO_COLUMN,
        )
        for row, record, skills in groups.values()
    ]
    yield from sorted([*parsed, *bad], key=lambda p: p.row)
