"""Fitting on degenerate training sets: no rows, one learner, one answer class."""

from __future__ import annotations

import numpy as np
import pytest

from models.kt import (
    DEEP_MODELS,
    MODEL_NAMES,
    InteractionSequence,
    InvalidSequenceError,
    make_model,
)

DEEP_TINY: dict[str, object] = {"max_epochs": 1, "num_threads": 1}
EMPTY = InteractionSequence(np.zeros(0, np.int64), np.zeros(0, np.int8))


def _params(name: str) -> dict[str, object]:
    return DEEP_TINY if name in DEEP_MODELS else {}


@pytest.mark.parametrize("name", MODEL_NAMES)
@pytest.mark.parametrize("train", [[], [EMPTY]], ids=["no-sequence", "empty-sequence"])
def test_fit_without_rows_raises_a_domain_error(
    name: str, train: list[InteractionSequence]
) -> None:
    with pytest.raises(InvalidSequenceError, match="at least one non-empty sequence"):
        make_model(name, **_params(name)).fit(train)


@pytest.mark.parametrize("name", DEEP_MODELS)
def test_deep_fit_on_one_learner_without_valid_validates_on_it(name: str) -> None:
    seq = InteractionSequence(np.array([1, 2, 1]), np.array([1, 0, 1]))
    model = make_model(name, **DEEP_TINY).fit([seq], n_skills=2)
    assert model.base_rate_ == pytest.approx(2 / 3)
    assert model.predict_proba([seq])[0].shape == (3,)
    # each epoch records the threads it ran on (results depend on it in the last digits)
    assert [e["threads"] for e in model.train_result_.history] == [1]


@pytest.mark.parametrize("name", ["pfa", "bestlr"])
@pytest.mark.parametrize("answer", [0, 1])
def test_logistic_fit_on_one_answer_class_predicts_the_clipped_base_rate(
    name: str, answer: int
) -> None:
    train = [
        InteractionSequence(np.array([1, 2, 1]), np.full(3, answer), np.array([1, 2, 3])),
        InteractionSequence(np.array([2, 2]), np.full(2, answer), np.array([2, 2])),
    ]
    model = make_model(name).fit(train)
    assert model.base_rate_ == answer
    expected = 0.999 if answer else 0.001
    probe = InteractionSequence(np.array([1, 2, 7]), np.array([1, 0, 1]), np.array([1, 9, 2]))
    np.testing.assert_allclose(model.predict_proba([probe])[0], expected)
    state = model.state_from_history(probe)
    assert model.predict_next(state, [2], 3) == pytest.approx(expected)
    assert model.mastery(state) == pytest.approx({1: expected, 2: expected})
