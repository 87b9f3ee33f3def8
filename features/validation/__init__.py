"""Data validation with great-expectations: suites for lake events and training sets.

``validate_events(df)`` / ``validate_training_set(df)`` return a :class:`ValidationReport`;
``report.write(folder)`` writes Markdown + JSON; ``report.raise_for_failures()`` blocks a
pipeline with :class:`DataValidationError`.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from features.validation.runner import (
    CheckResult,
    DataValidationError,
    ValidationReport,
    derive_columns,
    run_suite,
)
from features.validation.suites import events_suite, training_set_suite

__all__ = [
    "CheckResult",
    "DataValidationError",
    "ValidationReport",
    "events_suite",
    "training_set_suite",
    "validate_events",
    "validate_training_set",
]


def validate_events(
    df: pd.DataFrame,
    *,
    known_items: Collection[str] | None = None,
    known_skills: Collection[str] | None = None,
) -> ValidationReport:
    """Validate lake events (columns of ``features.lake.EVENTS_SCHEMA``)."""
    checked = derive_columns(df, known_skills=known_skills)
    derived = [c for c in checked.columns if c not in df.columns]
    suite = events_suite(known_items=known_items, known_skills=known_skills, derived=derived)
    return run_suite("events", checked, suite)


def validate_training_set(
    df: pd.DataFrame,
    *,
    feature_ranges: dict[str, tuple[float | None, float | None]] | None = None,
    known_items: Collection[str] | None = None,
    known_skills: Collection[str] | None = None,
) -> ValidationReport:
    """Validate a training set: ``learner_id, item_id, timestamp, correct`` + features, rows in
    sequence order per learner."""
    checked = derive_columns(df, known_skills=known_skills)
    suite = training_set_suite(
        feature_ranges=feature_ranges, known_items=known_items, known_skills=known_skills
    )
    return run_suite("training_set", checked, suite)
