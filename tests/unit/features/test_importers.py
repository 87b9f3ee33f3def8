from __future__ import annotations

from pathlib import Path

import pytest

from features.importers import (
    DatasetImportError,
    OnError,
    read_assistments_csv,
    read_ednet_kt1,
    read_generic_csv,
    run_import,
)
from features.importers.csv_rows import HeaderError
from features.lake import Lake, events_from_table

GENERIC = (
    "learner,item,skills,correct,timestamp\n"
    "u1,i1,a;b,1,2024-01-01T00:00:00\n"
    "u1,i2,a,0,2024-01-01T00:01:00\n"
    "u2,i1,,true,1704067260\n"
)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake.from_uri(str(tmp_path / "lake"))


def test_generic_csv_imports_every_row(tmp_path: Path, lake: Lake) -> None:
    report = run_import(
        read_generic_csv(write(tmp_path / "a.csv", GENERIC)), lake, source="csv", batch_id="b"
    )
    assert (report.rows_read, report.events_written, report.rows_skipped) == (3, 3, 0)
    events = sorted(events_from_table(lake.read_events()), key=lambda e: e.timestamp)
    assert [e.learner_id for e in events] == ["u1", "u1", "u2"]
    assert events[0].skill_ids == ["a", "b"] and events[2].skill_ids == []
    assert [e.correct for e in events] == [True, False, True]


def test_reimport_of_same_file_does_not_duplicate(tmp_path: Path, lake: Lake) -> None:
    path = write(tmp_path / "a.csv", GENERIC)
    for _ in range(2):
        run_import(read_generic_csv(path), lake, source="csv", batch_id="same")
    assert lake.read_events().num_rows == 3


def test_truncated_csv_fails_with_row_and_writes_nothing(tmp_path: Path, lake: Lake) -> None:
    path = write(tmp_path / "t.csv", GENERIC + "u3,i9,a")  # last line cut off mid-row
    with pytest.raises(DatasetImportError) as info:
        run_import(read_generic_csv(path), lake, source="csv", batch_id="b")
    (error,) = info.value.report.errors
    assert error.row == 4
    assert "expected 5 fields, found 3" in error.reason
    assert lake.files("events") == []


def test_wrong_column_type_names_row_and_column(tmp_path: Path, lake: Lake) -> None:
    path = write(tmp_path / "w.csv", GENERIC.replace("u1,i2,a,0,", "u1,i2,a,maybe,"))
    with pytest.raises(DatasetImportError) as info:
        run_import(read_generic_csv(path), lake, source="csv", batch_id="b")
    (error,) = info.value.report.errors
    assert (error.row, error.column) == (2, "correct")
    assert "expected 0/1/true/false, got 'maybe'" in error.reason
    assert lake.read_events().num_rows == 0


def test_skip_mode_keeps_good_rows_and_reports_bad(tmp_path: Path, lake: Lake) -> None:
    text = GENERIC + "u4,i1,a,1,not-a-time\n,i1,a,1,2024-01-01T00:00:00\nu5,i1,a,1\n"
    report = run_import(
        read_generic_csv(write(tmp_path / "s.csv", text)),
        lake,
        source="csv",
        batch_id="b",
        on_error=OnError.SKIP,
    )
    assert (report.rows_read, report.events_written, report.rows_skipped) == (6, 3, 3)
    assert [(e.row, e.column) for e in report.errors] == [
        (4, "timestamp"),
        (5, "learner"),
        (6, "(row)"),
    ]
    assert lake.read_events().num_rows == 3


def test_missing_column_is_a_header_error(tmp_path: Path, lake: Lake) -> None:
    path = write(tmp_path / "h.csv", "learner,item,correct\nu1,i1,1\n")
    with pytest.raises(HeaderError, match="missing required column"):
        run_import(read_generic_csv(path), lake, source="csv", batch_id="b")


ASSIST = (
    "order_id,assignment_id,user_id,problem_id,original,correct,attempt_count,"
    "ms_first_response,skill_id,skill_name,hint_count\n"
    "100,1,70,5,1,1,1,3200,10,Addition,0\n"
    "100,1,70,5,1,1,1,3200,11,Subtraction,0\n"
    "101,1,70,6,1,0,2,-5,10,Addition,2\n"
    "102,1,71,5,1,1,1,1000,,,0\n"
)


def test_assistments_merges_multi_skill_rows(tmp_path: Path, lake: Lake) -> None:
    path = write(tmp_path / "sb.csv", ASSIST)
    report = run_import(read_assistments_csv(path), lake, source="assistments", batch_id="b")
    assert (report.rows_read, report.events_written) == (3, 3)
    events = {
        e.object.id: e
        for e in events_from_table(lake.read_events())
        if e.learner_id.endswith(":70")
    }
    first = events["assistments:5"]
    assert first.skill_ids == ["10", "11"]
    assert first.context.timestamp_synthetic
    second = events["assistments:6"]
    assert second.result is not None
    assert second.result.correct is False and second.result.hints_used == 2
    assert second.result.duration_s == 0.0  # negative response times clipped
    assert first.timestamp < second.timestamp


def test_assistments_bad_credit_is_reported(tmp_path: Path, lake: Lake) -> None:
    path = write(tmp_path / "sb.csv", ASSIST.replace("101,1,70,6,1,0,", "101,1,70,6,1,7,"))
    with pytest.raises(DatasetImportError) as info:
        run_import(read_assistments_csv(path), lake, source="assistments", batch_id="b")
    assert info.value.report.errors[0].column == "correct"


def test_ednet_kt1_uses_question_table(tmp_path: Path, lake: Lake) -> None:
    folder = tmp_path / "kt1"
    folder.mkdir()
    write(
        folder / "u1.csv",
        "timestamp,solving_id,question_id,user_answer,elapsed_time\n"
        "1565096190868,1,q1,b,38000\n1565096221062,2,q2,a,24000\n",
    )
    write(
        folder / "u2.csv",
        "timestamp,solving_id,question_id,user_answer,elapsed_time\n1565096190868,1,q9,b,1000\n",
    )
    questions = write(
        tmp_path / "questions.csv",
        "question_id,bundle_id,explanation_id,correct_answer,part,tags,deployed_at\n"
        "q1,b1,e1,b,1,1;2,0\nq2,b2,e2,c,1,3,0\n",
    )
    report = run_import(
        read_ednet_kt1(folder, questions), lake, source="ednet", batch_id="b", on_error=OnError.SKIP
    )
    assert report.events_written == 2
    assert report.errors[0].column == "u2.csv:question_id"
    events = sorted(events_from_table(lake.read_events()), key=lambda e: e.timestamp)
    assert [e.correct for e in events] == [True, False]
    assert events[0].skill_ids == ["ednet:1", "ednet:2"]
    assert events[0].result is not None and events[0].result.duration_s == 38.0
