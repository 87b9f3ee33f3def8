"""The one-line drift verdict the CLI prints and the retraining trigger logs."""

from __future__ import annotations

from pipelines.drift.monitor import DriftResult


def test_insufficient_data_says_which_answers_count_and_how_many_are_needed() -> None:
    result = DriftResult(
        "learnloop-kt",
        "1",
        "insufficient_data",
        "2010-06-20T00:00:00+00:00",
        "2010-06-20T00:00:00+00:00",
        reference_rows=5000,
        window_rows=0,
        min_rows=200,
        source="assist2009_pid",
        data_end="2010-06-20T00:00:00+00:00",
    )
    assert result.summary() == (
        "learnloop-kt v1: insufficient_data (0 labelled answers of source assist2009_pid in "
        "2010-06-20T00:00:00+00:00..2010-06-20T00:00:00+00:00, 200 needed; only answers after "
        "its training data, 2010-06-20T00:00:00+00:00)"
    )


def test_a_champion_of_every_source_names_none() -> None:
    result = DriftResult("kt", "2", "insufficient_data", "a", "b", window_rows=12, min_rows=200)
    assert result.summary() == "kt v2: insufficient_data (12 labelled answers in a..b, 200 needed)"


def test_a_verdict_lists_the_breaches() -> None:
    result = DriftResult("kt", "3", "drift", "a", "b", window_rows=900, breaches=["x", "y"])
    assert result.summary() == "kt v3: drift (900 window rows, a..b): x; y"
