"""GDPR access and erasure helpers of the feature store's local parts: the consumer state and
the offline feature tables (the online store and the routes: tests/integration/services)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from features.events import EventObject, EventResult, LearningEvent, Verb
from features.feature_repo.aggregates import LearnerActivity
from features.feature_repo.state import StateStore
from features.sql.feature_tables import (
    FEATURE_TABLE_SCHEMAS,
    LEARNER_TABLES,
    delete_learner_rows,
    replace_table,
)

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def _activity(learner: str, correct: bool) -> LearnerActivity:
    activity = LearnerActivity()
    activity.apply(
        LearningEvent(
            learner_id=learner,
            timestamp=NOW,
            verb=Verb.ANSWERED,
            object=EventObject(id="item-1"),
            result=EventResult(correct=correct),
        )
    )
    return activity


def test_state_record_is_what_forget_deletes(tmp_path: Path) -> None:
    state = StateStore(tmp_path / "features.sqlite")
    mine, theirs = _activity("me", True), _activity("them", False)
    mastery = {("me", "s2"): "t2", ("me", "s1"): "t1", ("me", "s3"): "t3", ("them", "s1"): "t9"}
    state.commit({"me": mine, "them": theirs}, mastery, [], {})

    activity, rows, more = state.learner_record("me", limit=2)
    assert activity == mine and (rows, more) == ([("s1", "t1"), ("s2", "t2")], True)
    assert state.learner_record("me", limit=3)[1:] == (
        [("s1", "t1"), ("s2", "t2"), ("s3", "t3")],
        False,
    )

    state.forget_learner("me")
    assert state.learner_record("me", limit=3) == (None, [], False)
    assert state.learner_record("them", limit=3) == (theirs, [("s1", "t9")], False)
    state.close()


def _rows(name: str, learners: list[str | None]) -> pa.Table:
    schema = FEATURE_TABLE_SCHEMAS[name]
    columns: dict[str, list[object]] = {f.name: [None] * len(learners) for f in schema}
    columns["learner_id"] = list(learners)
    columns["event_timestamp"] = [NOW] * len(learners)
    return pa.table(columns, schema=schema)


def test_offline_tables_lose_only_the_learner(tmp_path: Path) -> None:
    assert set(LEARNER_TABLES) == {"learner_activity", "skill_mastery"}
    replace_table(tmp_path / "learner_activity", _rows("learner_activity", ["me", "them", "me"]))
    replace_table(tmp_path / "skill_mastery", _rows("skill_mastery", ["them", None]))
    items = pa.table({"item_id": ["me"], "event_timestamp": [NOW]})
    replace_table(tmp_path / "item_stats", items)  # no learner column: never touched

    assert delete_learner_rows(tmp_path, "me") == 2
    activity = pq.read_table(tmp_path / "learner_activity")
    assert activity.column("learner_id").to_pylist() == ["them"]
    assert activity.schema == FEATURE_TABLE_SCHEMAS["learner_activity"]
    assert pq.read_table(tmp_path / "skill_mastery").num_rows == 2
    assert pq.read_table(tmp_path / "item_stats").column("item_id").to_pylist() == ["me"]
    assert delete_learner_rows(tmp_path, "me") == 0  # idempotent
    assert delete_learner_rows(tmp_path / "nothing-built-yet", "me") == 0
