"""EdNet-KT1-style logs: one CSV per learner (``u<id>.csv``) plus a question table.

Per-learner file columns: ``timestamp`` (epoch ms), ``solving_id``, ``question_id``,
``user_answer``, ``elapsed_time`` (ms). The question table (``questions.csv``) gives
``question_id``, ``correct_answer`` and ``tags`` (skill ids separated by ``;``); correctness is
``user_answer == correct_answer``. Learner id = file stem (``u123``). Row numbers in errors count
data rows across files in sorted file order; the column names the file too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from features.importers.base import ParsedRow, RowError, event_id
from features.importers.builders import ColumnError, build_row, cell
from features.importers.csv_rows import parse_float, parse_timestamp, read_csv, split_list

USER_COLUMNS = ("timestamp", "solving_id", "question_id", "user_answer", "elapsed_time")
QUESTION_COLUMNS = ("question_id", "correct_answer", "tags")


def load_questions(path: Path) -> dict[str, tuple[str, list[str]]]:
    """``question_id → (correct_answer, skill ids)`` from the question table."""
    questions: dict[str, tuple[str, list[str]]] = {}
    for row, record in read_csv(path, QUESTION_COLUMNS):
        if isinstance(record, str):
            raise ValueError(f"{path}: row {row}: {record}")
        tags = [f"ednet:{t}" for t in split_list(record["tags"]) if t != "-1"]
        questions[record["question_id"].strip()] = (record["correct_answer"].strip(), tags)
    return questions


def read_ednet_kt1(
    folder: Path, questions_csv: Path, *, source: str = "ednet"
) -> Iterator[ParsedRow]:
    """Parse every ``u*.csv`` under ``folder`` against ``questions_csv``."""
    questions = load_questions(questions_csv)
    offset = 0
    for user_file in sorted(folder.glob("u*.csv")):
        learner = f"{source}:{user_file.stem}"
        file_rows = 0

        def make_event(record: Mapping[str, str], learner: str = learner) -> dict[str, Any]:
            question = record["question_id"].strip()
            if question not in questions:
                raise ColumnError("question_id", f"unknown question {question!r}")
            answer, tags = questions[question]
            elapsed = cell(record, "elapsed_time", lambda t: parse_float(t, minimum=0.0))
            return {
                "event_id": event_id(
                    source, learner, record["solving_id"], question, record["timestamp"]
                ),
                "learner_id": learner,
                "timestamp": cell(record, "timestamp", parse_timestamp),
                "verb": "answered",
                "object": {"id": f"{source}:{question}", "type": "problem"},
                "skill_ids": tags,
                "result": {
                    "correct": record["user_answer"].strip() == answer,
                    "response": record["user_answer"].strip(),
                    "duration_s": elapsed / 1000.0,
                },
                "context": {"source": source, "session_id": f"{learner}:{record['solving_id']}"},
            }

        for row, record in read_csv(user_file, USER_COLUMNS):
            file_rows = row
            parsed = build_row(offset + row, record, make_event, {"learner_id": "file"})
            if parsed.errors:
                errors = tuple(
                    RowError(e.row, f"{user_file.name}:{e.column}", e.reason) for e in parsed.errors
                )
                parsed = ParsedRow(parsed.row, errors=errors)
            yield parsed
        offset += file_rows
