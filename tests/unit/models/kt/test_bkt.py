from __future__ import annotations

import numpy as np
import pytest
from testkit.kt import sample_bkt

from models.kt import InteractionSequence, KTEvent
from models.kt.bkt import BKT

TRUE = {
    "prior": [0.2, 0.5, 0.1, 0.35],
    "learn": [0.15, 0.05, 0.25, 0.1],
    "forget": [0.0, 0.0, 0.0, 0.0],
    "guess": [0.2, 0.25, 0.1, 0.3],
    "slip": [0.1, 0.05, 0.15, 0.1],
}
# Recovery tolerance (absolute) for 1500 learners x 25 attempts per skill.
TOLERANCE = 0.05


@pytest.fixture(scope="module")
def fitted() -> BKT:
    data = sample_bkt(TRUE, n_learners=1500, length=25, seed=1)
    return BKT(n_restarts=3, seed=0).fit(data)


def test_em_recovers_simulated_parameters(fitted: BKT) -> None:
    for name, truth in TRUE.items():
        got = fitted.params_[name][1:]
        assert np.max(np.abs(got - np.asarray(truth))) < TOLERANCE, (name, got, truth)


def test_forgetting_is_recovered_when_enabled() -> None:
    params = {**TRUE, "forget": [0.05, 0.1, 0.05, 0.08]}
    model = BKT(forgetting=True, seed=0).fit(sample_bkt(params, n_learners=1500, length=25, seed=2))
    assert np.max(np.abs(model.params_["forget"][1:] - np.asarray(params["forget"]))) < TOLERANCE


def test_online_update_matches_batch_filter(fitted: BKT) -> None:
    seq = sample_bkt(TRUE, n_learners=1, length=10, seed=9)[0]
    batch = fitted.predict_proba([seq])[0]
    state = fitted.init_state()
    online = []
    for skill, correct in zip(seq.skills, seq.correct, strict=True):
        online.append(fitted.predict_next(state, [int(skill)]))
        state = fitted.update(state, KTEvent((int(skill),), bool(correct)))
    np.testing.assert_allclose(batch, online, rtol=1e-9, atol=1e-12)


def test_mastery_rises_after_correct_answers_and_falls_after_wrong(fitted: BKT) -> None:
    state = fitted.init_state()
    start = fitted.mastery(state, [1])[1]
    up = fitted.update(state, KTEvent((1,), True))
    down = fitted.update(state, KTEvent((1,), False))
    assert fitted.mastery(up, [1])[1] > start > fitted.mastery(down, [1])[1]
    assert state.p_learned == {}  # update returned new states


def test_multi_skill_event_updates_every_skill(fitted: BKT) -> None:
    state = fitted.update(fitted.init_state(), KTEvent((1, 2), True))
    assert set(state.p_learned) == {1, 2}
    p = fitted.predict_next(state, [1, 2])
    assert p == pytest.approx(
        (fitted.predict_next(state, [1]) + fitted.predict_next(state, [2])) / 2
    )


def test_unknown_skill_uses_pooled_prior(fitted: BKT) -> None:
    state = fitted.update(fitted.init_state(), KTEvent((999,), True))
    assert 0.0 < fitted.predict_next(state, [999]) < 1.0
    assert 0.0 < fitted.mastery(fitted.init_state(), [0, -3, 999])[999] < 1.0
    seq = InteractionSequence(np.array([999, 1, 999, 0]), np.array([1, 0, 1, 1]))
    preds = fitted.predict_proba([seq])[0]
    assert np.all((preds > 0) & (preds < 1))
    assert preds[2] > preds[0]  # the unknown skill still learns from its own history
