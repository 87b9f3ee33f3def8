"""Streaming learner aggregates agree with the offline SQL view (also with late events)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from testkit.events import make_events

from features.events import EventObject, ObjectType
from features.feature_repo.aggregates import LearnerActivity
from features.feature_repo.names import RECENT_ITEMS
from features.lake import Lake, events_to_table
from features.sql import query_view


def _shuffled_events(seed: int) -> list:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    base = make_events(150, learners=4)
    # every object type: steps count for their item, lessons, courses... for no item
    objects = [
        lambda e, kind=kind: EventObject(id=f"{e.object.id}/step-2", type=kind)
        for kind in ObjectType
    ]
    return [
        e.model_copy(
            update={
                "event_id": uuid.uuid4(),
                "timestamp": start + timedelta(hours=rng.randrange(0, 24 * 20), seconds=i),
                "object": rng.choice(objects)(e),
            }
        )
        for i, e in enumerate(base)
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_streaming_state_equals_last_offline_row_in_any_arrival_order(
    seed: int, tmp_path: Path
) -> None:
    events = _shuffled_events(seed)  # arrival order is random: many late events
    lake = Lake.from_uri(str(tmp_path / "lake"))
    lake.write_events(events_to_table(events))
    offline = query_view(lake, "learner_activity").to_pandas()
    last = offline.sort_values("event_timestamp").groupby("learner_id").tail(1)
    state: dict[str, LearnerActivity] = {}
    for event in events:
        state.setdefault(event.learner_id, LearnerActivity()).apply(event)
    for row in last.itertuples():
        streamed = state[row.learner_id]
        restored = LearnerActivity.from_json(streamed.to_json())
        features = restored.features()
        expected_items = list(row.recent_items) if row.recent_items is not None else []
        assert features.pop("recent_items") == expected_items, row.learner_id
        for name, value in features.items():
            assert value == pytest.approx(getattr(row, name)), (row.learner_id, name)


def test_recent_items_are_the_latest_item_events_oldest_first() -> None:
    activity = LearnerActivity()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    events = make_events(RECENT_ITEMS + 5, learners=1)
    for i, e in reversed(list(enumerate(events))):  # newest first: every event arrives late
        activity.apply(e.model_copy(update={"timestamp": start + timedelta(minutes=i)}))
    lesson = events[0].model_copy(
        update={"event_id": uuid.uuid4(), "timestamp": start + timedelta(days=1)}
    )
    activity.apply(
        lesson.model_copy(update={"object": EventObject(id="lesson-1", type=ObjectType.LESSON)})
    )
    step = EventObject(id="p99/step-1", type=ObjectType.STEP)
    activity.apply(lesson.model_copy(update={"event_id": uuid.uuid4(), "object": step}))
    expected = [e.object.id for e in events[6:]] + ["p99"]
    assert activity.features()["recent_items"] == expected
    assert LearnerActivity.from_json(activity.to_json()) == activity


def test_state_written_before_recent_items_still_loads() -> None:
    old = '[3, 2, 1, 1767225600000000, {"20454": [2, 1]}]'
    activity = LearnerActivity.from_json(old)
    assert (activity.event_count, activity.recent) == (3, [])
    assert activity.features()["recent_items"] == []


def test_seven_day_window_uses_utc_calendar_days() -> None:
    activity = LearnerActivity()
    day0 = datetime(2026, 1, 1, 23, 30, tzinfo=UTC)
    for i, e in enumerate(make_events(3, learners=1)):
        result = e.result.model_copy(update={"correct": True}) if e.result else None
        activity.apply(
            e.model_copy(
                update={"timestamp": day0 + timedelta(days=[0, 6, 7][i]), "result": result}
            )
        )
    features = activity.features()
    assert features["attempt_count"] == 3
    assert features["attempt_count_7d"] == 2  # day 1 fell out when day 8 arrived
    assert features["last_event_unix"] == int((day0 + timedelta(days=7)).timestamp())
