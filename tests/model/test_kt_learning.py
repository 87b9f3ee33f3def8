"""Behaviour: every KT model learns a known signal from simulated learners."""

from __future__ import annotations

import numpy as np
import pytest
from testkit.kt import simulator_sequences, split

from models.kt import InteractionSequence, KTEvent, make_model
from models.metrics import roc_auc

SETTINGS = {
    "bkt": {},
}


@pytest.fixture(scope="module")
def data() -> list[list[InteractionSequence]]:
    return split(simulator_sequences(n_learners=400, events=60, seed=11))


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_model_beats_chance_on_simulated_learners(
    name: str, data: list[list[InteractionSequence]]
) -> None:
    train, valid, test = data
    model = make_model(name, **SETTINGS[name]).fit(train, valid)
    preds = np.concatenate(model.predict_proba(test))
    labels = np.concatenate([s.correct for s in test])
    assert roc_auc(labels, preds) > 0.65


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_more_correct_answers_mean_more_mastery(
    name: str, data: list[list[InteractionSequence]]
) -> None:
    model = make_model(name, **SETTINGS[name]).fit(data[0], data[1])
    good = bad = model.init_state()
    for _ in range(6):
        good = model.update(good, KTEvent((2,), True, problem=5))
        bad = model.update(bad, KTEvent((2,), False, problem=5))
    assert model.mastery(good, [2])[2] > model.mastery(bad, [2])[2]
    assert model.predict_next(good, [2], 5) > model.predict_next(bad, [2], 5)
