"""Analytics reports on DuckDB over a real lake: numbers, filters, scope, paging, export."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from features.events import LearningEvent, ProgressUpdateEvent
from features.lake import PROGRESS_DATASET, Lake, events_to_table, progress_to_table
from features.lake.schema import PROGRESS_PARTITIONS
from services.analytics.engine import AnalyticsEngine, AnalyticsFilter, Scope
from services.analytics.queries import REPORTS, UnknownReportError, get_report

START = datetime(2024, 3, 4, 9, tzinfo=UTC)  # a Monday


def event(learner: str, day: int, verb: str, item: str, course: str, correct: bool | None = None):
    return LearningEvent.model_validate(
        {
            "learner_id": learner,
            "timestamp": START + timedelta(days=day, minutes=hash((item, verb)) % 50),
            "verb": verb,
            "object": {"id": item, "course_id": course},
            "result": None if correct is None else {"correct": correct, "duration_s": 30.0},
        }
    )


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    rng = np.random.default_rng(0)
    events = []
    ability = {f"l{i}": rng.normal() for i in range(12)}
    for i, (learner, theta) in enumerate(ability.items()):
        course = "algebra" if i < 8 else "geometry"
        events.append(event(learner, 0, "viewed", "intro", course))
        if i % 4 != 3:
            events.append(event(learner, 0, "started", "intro", course))
        for day in (0, 1, 8) if i % 2 == 0 else (0, 1):
            for k, difficulty in enumerate((-1.0, 0.0, 1.0)):
                p = 1 / (1 + np.exp(-(theta - difficulty)))
                events.append(
                    event(learner, day, "answered", f"q{k}", course, bool(rng.random() < p))
                )
        if i % 3 == 0:
            events.append(event(learner, 9, "completed", "intro", course))
    progress = [
        ProgressUpdateEvent(
            learner_id=learner,
            skill_id="fractions",
            mastery=m,
            model_name="bkt",
            model_version="1",
            cause_event_id=events[0].event_id,
            timestamp=START + timedelta(days=d),
        )
        for learner, m, d in [("l0", 0.3, 0), ("l0", 0.97, 2), ("l1", 0.5, 1), ("l9", 0.1, 1)]
    ]
    lake = Lake.from_uri(str(tmp_path_factory.mktemp("lake")))
    lake.write_events(events_to_table(events))
    lake.write_table(
        PROGRESS_DATASET, progress_to_table(progress), partition_cols=PROGRESS_PARTITIONS
    )
    return lake


@pytest.fixture(scope="module")
def frame(lake: Lake) -> pd.DataFrame:
    return lake.read_events().to_pandas()


@pytest.fixture(scope="module")
def engine(lake: Lake) -> AnalyticsEngine:
    return AnalyticsEngine(lake)


def test_learner_activity_matches_pandas(engine: AnalyticsEngine, frame: pd.DataFrame) -> None:
    rows = {r["learner_id"]: r for r in engine.table(get_report("learner_activity")).to_pylist()}
    assert len(rows) == 12
    graded = frame[frame["correct"].notna()]
    for learner, group in graded.groupby("learner_id"):
        assert rows[learner]["answers"] == len(group)
        assert rows[learner]["accuracy"] == pytest.approx(group["correct"].astype(float).mean())
        assert (
            rows[learner]["active_days"] == frame[frame.learner_id == learner].event_date.nunique()
        )


def test_course_funnel_counts_stages(engine: AnalyticsEngine) -> None:
    rows = {r["course_id"]: r for r in engine.table(get_report("course_funnel")).to_pylist()}
    algebra = rows["algebra"]
    assert (algebra["learners"], algebra["viewed"], algebra["answered"]) == (8, 8, 8)
    assert algebra["started"] == 6  # l3 and l7 never started
    assert algebra["completed"] == 3  # l0, l3, l6
    assert algebra["completion_rate"] == pytest.approx(3 / 8)


def test_item_statistics_rank_difficulty_and_discriminate(engine: AnalyticsEngine) -> None:
    rows = {r["item_id"]: r for r in engine.table(get_report("item_statistics")).to_pylist()}
    assert set(rows) == {"q0", "q1", "q2"}
    assert rows["q0"]["difficulty"] < rows["q2"]["difficulty"]
    for row in rows.values():
        assert row["difficulty"] == pytest.approx(1 - row["p_correct"])
        assert -1 <= row["discrimination"] <= 1


def test_skill_mastery_uses_latest_update_per_learner(engine: AnalyticsEngine) -> None:
    (row,) = engine.table(get_report("skill_mastery_distribution")).to_pylist()
    assert row["learners"] == 3
    assert row["mastered"] == 1
    assert row["mean_mastery"] == pytest.approx((0.97 + 0.5 + 0.1) / 3)
    assert row["bin_00_20"] == 1 and row["bin_80_100"] == 1


def test_cohort_retention(engine: AnalyticsEngine) -> None:
    rows = engine.table(get_report("cohort_retention")).to_pylist()
    week0 = [r for r in rows if r["weeks_since_first"] == 0]
    assert len(week0) == 1 and week0[0]["cohort_size"] == 12 and week0[0]["retention"] == 1.0
    week1 = next(r for r in rows if r["weeks_since_first"] == 1)
    assert week1["active_learners"] == 8  # even learners on day 8, l3 and l9 completed on day 9


def test_filters_and_instructor_scope(engine: AnalyticsEngine) -> None:
    report = get_report("learner_activity")
    algebra = Scope(frozenset({"algebra"}))
    scoped = engine.table(report, scope=algebra).column("learner_id").to_pylist()
    assert scoped == [f"l{i}" for i in range(8)]
    # Asking for another course inside a restricted scope yields nothing, never everything.
    assert engine.table(report, AnalyticsFilter(course_ids=("geometry",)), algebra).num_rows == 0
    mastery = engine.table(get_report("skill_mastery_distribution"), scope=algebra).to_pylist()
    assert mastery[0]["learners"] == 2  # l9 (geometry) is not visible to the algebra instructor
    later = engine.table(report, AnalyticsFilter(date_from=date(2024, 3, 12)))
    assert later.num_rows == 8  # even learners (day 8) and l3, l9 (completed on day 9)
    with pytest.raises(ValueError, match="after date_to"):
        AnalyticsFilter(date_from=date(2024, 3, 12), date_to=date(2024, 3, 1))


def test_paging_is_stable_and_counts_total(engine: AnalyticsEngine) -> None:
    report = get_report("learner_activity")
    first = engine.page(report, limit=5, offset=0)
    second = engine.page(report, limit=5, offset=5)
    last = engine.page(report, limit=5, offset=10)
    assert first.total == second.total == 12
    ids = [r["learner_id"] for p in (first, second, last) for r in p.rows]
    assert ids == sorted(ids) and len(set(ids)) == 12
    with pytest.raises(ValueError, match="limit"):
        engine.page(report, limit=0)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_exports_round_trip(engine: AnalyticsEngine, fmt: str) -> None:
    report = get_report("course_funnel")
    payload = engine.export(report, fmt)  # type: ignore[arg-type]
    table = (
        pa_csv.read_csv(io.BytesIO(payload)) if fmt == "csv" else pq.read_table(io.BytesIO(payload))
    )
    assert table.column("course_id").to_pylist() == ["algebra", "geometry"]
    assert table.column_names == engine.table(report).column_names


def test_unknown_report_lists_known_ones() -> None:
    with pytest.raises(UnknownReportError, match="known: learner_activity"):
        get_report("revenue")
    assert len(REPORTS) == 5
