"""Contract every progress-store backend must pass (SQL here, DynamoDB against moto)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.progress.store import ProgressStore, SkillUpdate, StaleStateError

AT = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class ProgressStoreContract:
    """Subclass and provide a ``store`` fixture returning an empty :class:`ProgressStore`."""

    def test_apply_then_read(self, store: ProgressStore) -> None:
        event = str(uuid.uuid4())
        updates = [
            SkillUpdate("fractions", 0.4, None, True),
            SkillUpdate("ratios", 0.2, None, False),
        ]
        assert store.apply(
            event_id=event, learner_id="l1", model="bkt:test", state={"p": 1},
            expected_version=0, updates=updates, at=AT,
        )  # fmt: skip
        rows = {m.skill_id: m for m in store.mastery("l1")}
        assert rows["fractions"].mastery == pytest.approx(0.4)
        assert (rows["fractions"].attempts, rows["fractions"].correct) == (1, 1)
        assert (rows["ratios"].attempts, rows["ratios"].correct) == (1, 0)
        snapshot = store.load("l1", ["fractions"])
        assert snapshot.state == {"p": 1} and snapshot.version == 1
        assert set(snapshot.mastery) == {"fractions"}

    def test_the_same_event_applies_once(self, store: ProgressStore) -> None:
        event = str(uuid.uuid4())
        updates = [SkillUpdate("s", 0.5, None, True)]
        kwargs = {"learner_id": "l2", "model": "m", "state": {}, "updates": updates, "at": AT}
        assert store.apply(event_id=event, expected_version=0, **kwargs)  # type: ignore[arg-type]
        assert not store.apply(event_id=event, expected_version=1, **kwargs)  # type: ignore[arg-type]
        assert store.mastery("l2")[0].attempts == 1
        assert store.processed("l2", event) == updates
        assert store.processed("l2", str(uuid.uuid4())) is None

    def test_a_stale_version_is_refused(self, store: ProgressStore) -> None:
        first = {"learner_id": "l3", "model": "m", "state": {"n": 1}, "at": AT}
        store.apply(event_id=str(uuid.uuid4()), expected_version=0, updates=[], **first)  # type: ignore[arg-type]
        with pytest.raises(StaleStateError):
            store.apply(event_id=str(uuid.uuid4()), expected_version=0, updates=[], **first)  # type: ignore[arg-type]
        with pytest.raises(StaleStateError):
            store.apply(event_id=str(uuid.uuid4()), expected_version=5, updates=[], **first)  # type: ignore[arg-type]
        assert store.load("l3", []).version == 1

    def test_erase_learner_removes_everything(self, store: ProgressStore) -> None:
        event = str(uuid.uuid4())
        store.apply(
            event_id=event, learner_id="l4", model="m", state={"x": 1}, expected_version=0,
            updates=[SkillUpdate("s", 0.3, None, False)], at=AT,
        )  # fmt: skip
        store.apply(
            event_id=str(uuid.uuid4()), learner_id="other", model="m", state={}, expected_version=0,
            updates=[SkillUpdate("s", 0.3, None, False)], at=AT,
        )  # fmt: skip
        assert store.erase_learner("l4") >= 3
        assert store.mastery("l4") == []
        assert store.load("l4", ["s"]).state is None
        assert store.processed("l4", event) is None
        assert len(store.mastery("other")) == 1
        assert store.ping()
