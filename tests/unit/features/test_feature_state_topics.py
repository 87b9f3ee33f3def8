"""The feature consumer's applied offsets follow the topics' broker ids."""

from __future__ import annotations

from pathlib import Path

from features.feature_repo.state import StateStore


def test_offsets_of_a_topic_whose_id_changed_are_forgotten(tmp_path: Path) -> None:
    state = StateStore(tmp_path / "state.sqlite")
    state.commit({}, {}, [], {("events", 0): 3, ("events", 1): 5, ("progress", 0): 7})
    # a state written before topic ids were kept: the first ids seen are bound, offsets kept
    assert state.follow({"events": "id-1", "progress": "id-2"}) == []
    assert state.applied() == {("events", 0): 3, ("events", 1): 5, ("progress", 0): 7}
    assert state.follow({"events": "id-1", "progress": "id-2"}) == []
    # `events` was created again (new id): its offsets belong to a log that is gone
    assert state.follow({"events": "id-3", "progress": "id-2"}) == ["events"]
    assert state.applied() == {("progress", 0): 7}
    # a topic the broker could not describe keeps what it has
    assert state.follow({"events": "id-3"}) == []
    assert StateStore(tmp_path / "state.sqlite").applied() == {("progress", 0): 7}
