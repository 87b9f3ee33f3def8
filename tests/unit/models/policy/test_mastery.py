"""KTMasteryTracker over a real BKT model; item offsets from logs."""

from __future__ import annotations

import numpy as np
import pytest

from models.kt.base import InteractionSequence
from models.kt.bkt import BKT
from models.policy import ContentItem, KTMasteryTracker, item_offsets_from_log


@pytest.fixture(scope="module")
def bkt() -> BKT:
    rng = np.random.default_rng(0)
    sequences = []
    for _ in range(60):
        skills = rng.integers(1, 3, 30)
        learned = np.cumsum(rng.random(30) < 0.2) > 0
        correct = np.where(learned, rng.random(30) < 0.9, rng.random(30) < 0.3).astype(int)
        sequences.append(InteractionSequence(skills, correct))
    return BKT(n_restarts=1, max_iter=30).fit(sequences, n_skills=2)


def test_observing_correct_answers_raises_mastery_and_p_correct(bkt: BKT) -> None:
    tracker = KTMasteryTracker(bkt, {"add": 1, "sub": 2})
    item = ContentItem("q1", ("add",))
    state = tracker.new_state(now=1.0)
    assert state.is_cold_start and set(state.mastery) == {"add", "sub"}
    before = (state.mastery["add"], tracker.p_correct(state, item))
    for day in (1.0, 2.0, 3.0):
        state = tracker.observe(state, item, True, at=day)
    assert state.mastery["add"] > before[0] and tracker.p_correct(state, item) > before[1]
    assert state.mastery["sub"] == pytest.approx(tracker.prior_mastery("sub"))
    assert state.last_practiced == {"add": 3.0} and state.seen == {"q1": 3} and state.now == 3.0
    assert (state.answers, state.correct) == (3, 3) and state.seen_correct == {"q1": 3}
    state = tracker.observe(state, ContentItem("q2", ("add",)), False, at=4.0)
    assert state.seen == {"q1": 3, "q2": 1} and state.seen_correct == {"q1": 3}


def test_item_offsets_and_ability_shift_predictions(bkt: BKT) -> None:
    offsets = item_offsets_from_log(
        [("easy", "add", True)] * 9
        + [("easy", "add", False)]
        + [("hard", "add", False)] * 9
        + [("hard", "add", True)]
    )
    assert offsets["easy"] > 0 > offsets["hard"]
    tracker = KTMasteryTracker(bkt, {"add": 1, "sub": 2}, item_offsets=offsets, ability_prior=5.0)
    state = tracker.new_state()
    easy, hard = ContentItem("easy", ("add",)), ContentItem("hard", ("add",))
    assert tracker.p_correct(state, easy) > tracker.p_correct(state, hard)
    strong = state
    for _ in range(6):
        strong = tracker.observe(strong, ContentItem("x", ("sub",)), True)
    assert tracker.ability_offset(strong) > 0
    # an item without known skills falls back to its prior
    assert tracker.p_correct(state, ContentItem("z", ("geometry",), p_correct_prior=0.4)) == 0.4


def test_state_roundtrips_through_json(bkt: BKT) -> None:
    import json

    tracker = KTMasteryTracker(bkt, {"add": 1, "sub": 2}, ability_prior=5.0)
    state = tracker.observe(tracker.new_state(now=1.0), ContentItem("q1", ("add",)), True, at=2.0)
    again = tracker.state_from_dict(json.loads(json.dumps(tracker.state_to_dict(state))))
    assert again.mastery == state.mastery and again.seen == state.seen and again.now == 2.0
    assert again.seen_correct == {"q1": 1}
    item = ContentItem("q2", ("add",))
    assert tracker.p_correct(again, item) == tracker.p_correct(state, item)
