"""great-expectations suites: clean data passes; each kind of bad data fails, named in the
report. (One module: GX takes ~12 s to import.)"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from testkit.events import make_events

from features.lake import events_to_table
from features.validation import DataValidationError, validate_events, validate_training_set


def test_events_suite_passes_clean_events_and_names_each_failure(tmp_path: Path) -> None:
    df = events_to_table(make_events(300)).to_pandas()
    clean = validate_events(
        df, known_items={f"p{i}" for i in range(300)}, known_skills={"s1", "s2"}
    )
    assert clean.success, clean.markdown()
    clean.raise_for_failures()

    bad = df.copy()
    bad.loc[3, "verb"] = "jumped"
    bad.loc[4, "score"] = 1.5
    bad.loc[5, "learner_id"] = "ada@example.org mail"
    bad.loc[6, "event_id"] = bad.loc[7, "event_id"]
    bad.loc[8, "skill_ids"] = ["unknown-skill"]
    report = validate_events(
        bad, known_items={f"p{i}" for i in range(300)}, known_skills={"s1", "s2"}
    )
    failed = {(c.expectation, c.column) for c in report.failures}
    assert ("expect_column_values_to_be_in_set", "verb") in failed
    assert ("expect_column_values_to_be_between", "score") in failed
    assert ("expect_column_values_to_match_regex", "learner_id") in failed
    assert ("expect_column_values_to_be_unique", "event_id") in failed
    assert ("expect_column_values_to_be_in_set", "skill_refs_known") in failed
    path = report.write(tmp_path)
    text = path.read_text()
    assert "FAILED" in text and "jumped" in text
    with pytest.raises(DataValidationError, match="suite events failed"):
        report.raise_for_failures()


def test_training_set_suite_checks_order_labels_ranges_and_references() -> None:
    good = pd.DataFrame(
        {
            "learner_id": ["a", "a", "b", "b"],
            "item_id": ["i1", "i2", "i1", "i3"],
            "timestamp": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-01-01", "2026-01-03"]),
            "correct": [1, 0, 1, 1],
            "accuracy": [0.5, 0.4, 0.6, 0.7],
        }
    )
    ranges = {"accuracy": (0.0, 1.0)}
    items = {"i1", "i2", "i3"}
    assert validate_training_set(good, feature_ranges=ranges, known_items=items).success
    bad = good.copy()
    bad.loc[1, "timestamp"] = pd.Timestamp("2025-12-31")  # goes back in time for learner a
    bad.loc[2, "correct"] = 3
    bad.loc[3, "item_id"] = "ghost"
    report = validate_training_set(bad, feature_ranges=ranges, known_items=items)
    failed = {c.column for c in report.failures}
    assert {"timestamp_monotonic", "correct", "item_id"} <= failed
