"""Online mastery with BKT from models.kt: direction, idempotency, retries, the SQL store."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from testkit.progress_store_contract import ProgressStoreContract

from features.events import EventObject, EventResult, LearningEvent, ProgressUpdateEvent, Verb
from services.common.db import Database
from services.progress.models import Base
from services.progress.sql_store import SqlProgressStore
from services.progress.store import ProgressStore, StaleStateError
from services.progress.tracker import MasteryTracker


@pytest.fixture
def store(tmp_path: Path) -> SqlProgressStore:
    db = Database(f"sqlite:///{tmp_path / 'p.db'}")
    Base.metadata.create_all(db.engine)
    return SqlProgressStore(db)


class TestSqlProgressStore(ProgressStoreContract):
    """The relational backend passes the store contract."""


def _tracker(
    store: ProgressStore, dataset_dir: Path, tmp_path: Path, out: list[ProgressUpdateEvent]
) -> MasteryTracker:
    return MasteryTracker.from_files(
        model_path=None,
        default_dir=tmp_path / "models",
        content_dir=dataset_dir / "content",
        store=store,
        publish=out.append,
    )


def answer(
    learner: str, correct: bool, skills: list[str], event_id: uuid.UUID | None = None
) -> LearningEvent:
    return LearningEvent(
        event_id=event_id or uuid.uuid4(),
        learner_id=learner,
        timestamp=datetime.now(UTC),
        verb=Verb.ANSWERED,
        object=EventObject(id="oat-p1/s1"),
        skill_ids=skills,
        result=EventResult(correct=correct),
    )


def test_correct_answers_raise_mastery_wrong_ones_lower_it(
    store: SqlProgressStore, dataset_dir: Path, tmp_path: Path
) -> None:
    out: list[ProgressUpdateEvent] = []
    tracker = _tracker(store, dataset_dir, tmp_path, out)
    assert tracker.model_name == "bkt"
    levels = []
    for correct in (True, True, True):
        tracker.handle(answer("ada", correct, ["fractions"]).model_dump_json().encode())
        levels.append(out[-1].mastery)
    assert levels[0] < levels[1] < levels[2]
    assert out[0].previous_mastery is None and out[1].previous_mastery == pytest.approx(levels[0])
    tracker.handle(answer("ada", False, ["fractions"]).model_dump_json().encode())
    assert out[-1].mastery < levels[-1]
    (row,) = store.mastery("ada")
    assert (row.attempts, row.correct, row.model) == (4, 3, "bkt:content-pack")


def test_redelivered_event_changes_nothing_and_re_emits_the_same_updates(
    store: SqlProgressStore, dataset_dir: Path, tmp_path: Path
) -> None:
    out: list[ProgressUpdateEvent] = []
    tracker = _tracker(store, dataset_dir, tmp_path, out)
    event = answer("bo", True, ["fractions", "ratios"])
    first = tracker.apply(event)
    again = tracker.apply(event)
    assert [u.event_id for u in first] == [u.event_id for u in again]
    assert [u.mastery for u in first] == [u.mastery for u in again]
    assert all(m.attempts == 1 for m in store.mastery("bo"))
    assert {u.cause_event_id for u in first} == {event.event_id}


def test_events_without_an_outcome_are_ignored(
    store: SqlProgressStore, dataset_dir: Path, tmp_path: Path
) -> None:
    tracker = _tracker(store, dataset_dir, tmp_path, [])
    viewed = LearningEvent(
        learner_id="cy",
        timestamp=datetime.now(UTC),
        verb=Verb.VIEWED,
        object=EventObject(id="x"),
        skill_ids=["s"],
    )
    assert tracker.apply(viewed) == []
    assert tracker.apply(answer("cy", True, [])) == []
    assert store.mastery("cy") == []


def test_unknown_skills_get_stable_separate_ids(
    store: SqlProgressStore, dataset_dir: Path, tmp_path: Path
) -> None:
    tracker = _tracker(store, dataset_dir, tmp_path, [])
    a, b = tracker.skill_id("my-new-skill"), tracker.skill_id("another-new-skill")
    assert a != b and a == tracker.skill_id("my-new-skill")
    assert a > len(tracker.index)


def test_concurrent_writer_is_retried(
    store: SqlProgressStore, dataset_dir: Path, tmp_path: Path
) -> None:
    tracker = _tracker(store, dataset_dir, tmp_path, [])
    real_apply = store.apply
    calls = {"n": 0}

    def flaky_apply(**kwargs: object) -> bool:
        calls["n"] += 1
        if calls["n"] == 1:
            raise StaleStateError("someone else wrote first")
        return real_apply(**kwargs)  # type: ignore[arg-type]

    store.apply = flaky_apply  # type: ignore[method-assign]
    assert len(tracker.apply(answer("di", True, ["fractions"]))) == 1
    assert calls["n"] == 2


def test_malformed_messages_raise_for_the_dead_letter_topic(
    store: SqlProgressStore, dataset_dir: Path, tmp_path: Path
) -> None:
    tracker = _tracker(store, dataset_dir, tmp_path, [])
    with pytest.raises(ValueError):
        tracker.handle(b'{"learner_id": "x"}')


def test_a_registered_champion_model_file_is_used(
    store: SqlProgressStore, dataset_dir: Path, tmp_path: Path
) -> None:
    import numpy as np

    from models.kt import InteractionSequence
    from models.kt.bkt import BKT

    rng = np.random.default_rng(0)
    sequences = [
        InteractionSequence(rng.integers(1, 4, 30), (rng.random(30) < 0.7).astype(np.int8))
        for _ in range(40)
    ]
    champion = (
        BKT(n_restarts=1, max_iter=20).fit(sequences, n_skills=3).save(tmp_path / "champion.npz")
    )
    out: list[ProgressUpdateEvent] = []
    tracker = MasteryTracker.from_files(
        model_path=champion,
        default_dir=tmp_path / "models",
        content_dir=dataset_dir / "content",
        store=store,
        publish=out.append,
    )
    assert (tracker.model_name, tracker.model_version) == ("bkt", "champion")
    tracker.handle(answer("eve", True, ["fractions"]).model_dump_json().encode())
    assert out[0].model_version == "champion"
    assert store.mastery("eve")[0].model == "bkt:champion"
