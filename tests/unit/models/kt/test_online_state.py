"""Incremental online state of the deep models == a full re-encode of the same history."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch
from testkit.kt import simulator_sequences, split

from models.kt import InteractionSequence, KTEvent, make_model
from models.kt.deep import attention
from models.kt.deep.base import DeepKTModel, DeepState, KTNet, window_rows

MAX_LEN = 10  # small windows: 3 * MAX_LEN rows cross several slides / rebases
TINY = {"max_epochs": 1, "num_threads": 1, "batch_size": 16, "max_len": MAX_LEN}
ATTN = {"d_model": 16, "n_heads": 2, "d_ff": 16, "n_blocks": 2}
# ids: the model's name, then ":variant" where one model is tested in two settings
SETTINGS: dict[str, dict[str, object]] = {
    "dkt": {"emb_dim": 8, "hidden_dim": 8, "n_layers": 2},
    "sakt": {"d_model": 16, "n_heads": 2, "n_blocks": 2},
    "sakt:interaction": {"d_model": 16, "n_heads": 2, "n_blocks": 2, "residual": "interaction"},
    "akt": {**ATTN, "final_fc_dim": 16},
    "simplekt": {**ATTN, "final_fc_dim": 16},
    "dkvmn": {"d_model": 8, "memory_size": 5, "final_fc_dim": 8},
}
TOL = 1e-5


@pytest.fixture(scope="module", params=sorted(SETTINGS))
def model(request: pytest.FixtureRequest) -> DeepKTModel:
    train, valid, _ = split(simulator_sequences(n_learners=45, events=30))
    name = request.param.partition(":")[0]
    fitted = make_model(name, **TINY, **SETTINGS[request.param]).fit(train, valid)
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


def _full_query(model: DeepKTModel, state: DeepState, problems: torch.Tensor) -> torch.Tensor:
    """Logits of every skill as the next row: one forward pass over history + candidate."""
    hist = (
        torch.tensor([state.skills]),
        torch.tensor([state.problems]),
        torch.tensor([state.correct], dtype=torch.float32),
    )
    skills = torch.arange(1, model.n_skills_ + 1)
    with torch.inference_mode():
        return KTNet.query(model.net_, hist, skills, problems)


def _fast_query(model: DeepKTModel, state: DeepState, problems: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return model.net_.query(state.cache, torch.arange(1, model.n_skills_ + 1), problems)


@pytest.mark.parametrize("with_problems", [False, True])
def test_batched_query_of_every_skill_equals_a_full_forward(
    model: DeepKTModel, with_problems: bool
) -> None:
    state = model.state_from_history(_history(model, MAX_LEN - 1))
    assert isinstance(state, DeepState)
    problems = torch.zeros(model.n_skills_, dtype=torch.long)
    if with_problems:
        problems = torch.arange(model.n_skills_) % max(model.n_problems_, 1) + 1
    for _ in range(2):  # the second call reads the per-skill tables built by the first
        fast = _fast_query(model, state, problems)
        assert torch.allclose(fast, _full_query(model, state, problems), atol=TOL)
    if not with_problems:  # mastery is this query
        mastery = list(model.mastery(state).values())
        assert mastery == pytest.approx(torch.sigmoid(fast).tolist(), abs=TOL)


def test_mastery_of_some_skills_equals_their_mastery_among_all(model: DeepKTModel) -> None:
    """A subset reads its rows of the per-skill tables; all skills read the tables whole."""
    state = model.state_from_history(_history(model, MAX_LEN - 1))
    every = model.mastery(state)
    some = model.mastery(state, [3, 1, 3])
    assert some == pytest.approx({k: every[k] for k in (3, 1)}, abs=TOL)


def test_candidates_split_into_chunks_give_the_same_query(
    model: DeepKTModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AKT's monotonic attention runs the candidates in chunks of ``CANDIDATE_CHUNK`` scores."""
    state = model.state_from_history(_history(model, MAX_LEN - 1))
    assert isinstance(state, DeepState)
    zeros = torch.zeros(model.n_skills_, dtype=torch.long)
    whole = _fast_query(model, state, zeros)
    monkeypatch.setattr(attention, "CANDIDATE_CHUNK", 3 * MAX_LEN)  # a few rows per chunk
    chunked = _fast_query(model, state, zeros)
    assert torch.allclose(chunked, whole, atol=TOL)
    assert torch.allclose(chunked, _full_query(model, state, zeros), atol=TOL)


def test_query_tables_follow_new_parameters(model: DeepKTModel) -> None:
    other = copy.deepcopy(model)
    state = other.state_from_history(_history(other, MAX_LEN - 1))
    before = other.mastery(state)  # builds the tables
    generator = torch.Generator().manual_seed(0)
    weights = {
        k: v + 0.3 * torch.randn(v.shape, generator=generator) if v.is_floating_point() else v
        for k, v in other.net_.state_dict().items()
    }
    other.net_.load_state_dict(weights)
    state = other.state_from_history(_history(other, MAX_LEN - 1))
    assert isinstance(state, DeepState)
    zeros = torch.zeros(other.n_skills_, dtype=torch.long)
    fast = _fast_query(other, state, zeros)
    assert torch.allclose(fast, _full_query(other, state, zeros), atol=TOL)
    changed = torch.tensor(list(before.values())) - torch.sigmoid(fast)
    assert changed.abs().max() > TOL  # the new weights are read


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
