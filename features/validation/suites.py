"""Expectation suites, declared as data (GX is imported only when a suite runs).

Each entry is ``(expectation class name, kwargs)`` from great-expectations 1.x. Derived columns
(``derive_columns``) turn per-learner and referential rules into plain column checks.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from features.events import ObjectType, Verb

Expectation = tuple[str, dict[str, Any]]
EVENT_COLUMNS = [
    "event_id",
    "learner_id",
    "timestamp",
    "verb",
    "object_id",
    "object_type",
    "course_id",
    "skill_ids",
    "correct",
    "score",
    "duration_s",
    "response",
    "hints_used",
    "context",
    "source",
    "schema_version",
    "event_date",
]
PSEUDONYMOUS_ID = r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$"


def events_suite(
    *,
    known_items: Collection[str] | None = None,
    known_skills: Collection[str] | None = None,
    derived: Collection[str] = (),
) -> list[Expectation]:
    """Lake events: schema, nulls, ranges, allowed verbs/types, unique ids, references.

    ``derived``: check columns added by ``derive_columns`` (part of the expected schema).
    """
    columns = [*EVENT_COLUMNS, *derived]
    suite: list[Expectation] = [
        ("ExpectTableColumnsToMatchSet", {"column_set": columns, "exact_match": True}),
        ("ExpectTableRowCountToBeBetween", {"min_value": 1}),
        ("ExpectColumnValuesToBeUnique", {"column": "event_id"}),
        *[
            ("ExpectColumnValuesToNotBeNull", {"column": c})
            for c in ("event_id", "learner_id", "timestamp", "verb", "object_id", "event_date")
        ],
        ("ExpectColumnValuesToBeInSet", {"column": "verb", "value_set": [v.value for v in Verb]}),
        (
            "ExpectColumnValuesToBeInSet",
            {"column": "object_type", "value_set": [t.value for t in ObjectType]},
        ),
        ("ExpectColumnValuesToMatchRegex", {"column": "learner_id", "regex": PSEUDONYMOUS_ID}),
        ("ExpectColumnValuesToBeBetween", {"column": "score", "min_value": 0, "max_value": 1}),
        ("ExpectColumnValuesToBeBetween", {"column": "duration_s", "min_value": 0}),
        ("ExpectColumnValuesToBeBetween", {"column": "hints_used", "min_value": 0}),
        ("ExpectColumnValuesToBeInSet", {"column": "event_date_matches", "value_set": [True]}),
    ]
    suite += _references(known_items, known_skills)
    return suite


def training_set_suite(
    *,
    feature_ranges: dict[str, tuple[float | None, float | None]] | None = None,
    known_items: Collection[str] | None = None,
    known_skills: Collection[str] | None = None,
) -> list[Expectation]:
    """A training set (one row per learner interaction, in sequence order)."""
    suite: list[Expectation] = [
        *[
            ("ExpectColumnToExist", {"column": c})
            for c in ("learner_id", "item_id", "timestamp", "correct")
        ],
        ("ExpectTableRowCountToBeBetween", {"min_value": 1}),
        *[
            ("ExpectColumnValuesToNotBeNull", {"column": c})
            for c in ("learner_id", "item_id", "timestamp", "correct")
        ],
        ("ExpectColumnValuesToBeInSet", {"column": "correct", "value_set": [0, 1, True, False]}),
        ("ExpectColumnValuesToBeInSet", {"column": "timestamp_monotonic", "value_set": [True]}),
    ]
    for column, (low, high) in (feature_ranges or {}).items():
        suite.append(
            (
                "ExpectColumnValuesToBeBetween",
                {"column": column, "min_value": low, "max_value": high},
            )
        )
    suite += _references(known_items, known_skills, item_column="item_id")
    return suite


def _references(
    known_items: Collection[str] | None,
    known_skills: Collection[str] | None,
    item_column: str = "object_id",
) -> list[Expectation]:
    out: list[Expectation] = []
    if known_items is not None:
        out.append(
            ("ExpectColumnValuesToBeInSet", {"column": item_column, "value_set": list(known_items)})
        )
    if known_skills is not None:
        out.append(
            ("ExpectColumnValuesToBeInSet", {"column": "skill_refs_known", "value_set": [True]})
        )
    return out
