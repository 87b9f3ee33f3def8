"""Incremental online state of the deep models == a full re-encode of the same history."""

from __future__ import annotations

import json

import numpy as np
import pytest
from testkit.kt import simulator_sequences, split

from models.kt import InteractionSequence, KTEvent, make_model
from models.kt.deep.base import DeepKTModel, DeepState, window_rows

MAX_LEN = 10  # small windows: 3 * MAX_LEN rows cross several slides / rebases
TINY = {"max_epochs": 1, "num_threads": 1, "batch_size": 16, "max_len": MAX_LEN}
ATTN = {"d_model": 16, "n_heads": 2, "d_ff": 16, "n_blocks": 2}
SETTINGS: dict[str, dict[str, object]] = {
    "dkt": {"emb_dim": 8, "hidden_dim": 8, "n_layers": 2},
    "sakt": {"d_model": 16, "n_heads": 2, "n_blocks": 2},
    "akt": {**ATTN, "final_fc_dim": 16},
    "simplekt": {**ATTN, "final_fc_dim": 16},
    "dkvmn": {"d_model": 8, "memory_size": 5, "final_fc_dim": 8},
}
TOL = 1e-5


@pytest.fixture(scope="module", params=sorted(SETTINGS))
def model(request: pytest.FixtureRequest) -> DeepKTModel:
    train, valid, _ = split(simulator_sequences(n_learners=45, events=30))
    fitted = make_model(request.param, **TINY, **SETTINGS[request.param]).fit(train, valid)
    assert isinstance(fitted, DeepKTModel)
    return fitted


def _history(model: DeepKTModel, n: int) -> InteractionSequence:
    rng = np.random.default_rng(3)
    problems = rng.integers(1, max(model.n_problems_, 1) + 1, n)
    correct = rng.integers(0, 2, n).astype(np.int8)
    return InteractionSequence(rng.integers(1, model.n_skills_ + 1, n), correct, problems)


def _prefix(seq: InteractionSequence, n: int) -> InteractionSequence:
    assert seq.problems is not None
    return InteractionSequence(seq.skills[:n], seq.correct[:n], seq.problems[:n])


def test_incremental_updates_equal_full_recompute(model: DeepKTModel) -> None:
    seq = _history(model, 3 * MAX_LEN + 4)
    assert seq.problems is not None
    state = model.init_state()
    for t in range(len(seq)):
        full = model.state_from_history(_prefix(seq, t))
        assert isinstance(full, DeepState)
        assert state.skills == full.skills  # same window
        assert len(state.skills) == window_rows(t, MAX_LEN, model.net_.streaming)
        online, again = model.mastery(state), model.mastery(full)
        assert max(abs(online[k] - again[k]) for k in online) < TOL, t
        skill, problem = int(seq.skills[t]), int(seq.problems[t])
        assert model.predict_next(state, [skill], problem) == pytest.approx(
            model.predict_next(full, [skill], problem), abs=TOL
        )
        state = model.update(state, KTEvent((skill,), bool(seq.correct[t]), problem))


def test_online_predictions_equal_batch_predictions_within_a_chunk(model: DeepKTModel) -> None:
    seq = _history(model, MAX_LEN)
    assert seq.problems is not None
    batch = model.predict_proba([seq])[0]
    state = model.init_state()
    for t in range(MAX_LEN):
        skill, problem = int(seq.skills[t]), int(seq.problems[t])
        assert model.predict_next(state, [skill], problem) == pytest.approx(batch[t], abs=TOL)
        state = model.update(state, KTEvent((skill,), bool(seq.correct[t]), problem))


def test_update_leaves_the_old_state_unchanged(model: DeepKTModel) -> None:
    state = model.state_from_history(_history(model, MAX_LEN - 1))  # a full window
    before = model.mastery(state)
    right = model.update(state, KTEvent((1,), True, 1))
    wrong = model.update(state, KTEvent((1,), False, 1))
    assert model.mastery(state) == before
    assert model.mastery(right) != model.mastery(wrong)  # the outcome is read
    assert model.mastery(model.update(state, KTEvent((1,), True, 1))) == model.mastery(right)


def test_json_state_restores_the_same_predictions_after_a_long_history(
    model: DeepKTModel,
) -> None:
    seq = _history(model, 3 * MAX_LEN)
    state = model.init_state()
    for t in range(len(seq)):
        state = model.update(state, KTEvent((int(seq.skills[t]),), bool(seq.correct[t]), 2))
    restored = model.state_from_dict(json.loads(json.dumps(state.to_dict())))
    online, again = model.mastery(state), model.mastery(restored)
    assert max(abs(online[k] - again[k]) for k in online) < TOL
    if model.net_.streaming == "carry":  # the recurrent state is in the dict, not the rows
        assert "carry" in state.to_dict()


@pytest.mark.parametrize(
    ("n_rows", "policy", "expected"),
    [
        (0, "rebase", 0),
        (9, "rebase", 9),
        (10, "rebase", 5),
        (14, "rebase", 9),
        (15, "rebase", 5),
        (10, "slide", 9),
        (100, "slide", 9),
        (100, "carry", 9),
    ],
)
def test_window_rows(n_rows: int, policy: str, expected: int) -> None:
    assert window_rows(n_rows, MAX_LEN, policy) == expected
