"""Behaviour: every KT model learns a known signal from simulated learners."""

from __future__ import annotations

import numpy as np
import pytest
from testkit.kt import simulator_sequences, split

from models.kt import InteractionSequence, KTEvent, KTModel, make_model
from models.metrics import roc_auc

DEEP = {"max_epochs": 6, "batch_size": 16, "lr": 5e-3, "patience": 1}
SMALL = {"d_model": 16, "n_heads": 2}
SETTINGS: dict[str, dict[str, object]] = {
    "bkt": {"n_restarts": 1},
    "pfa": {},
    "bestlr": {},
    "irt1pl": {},
    "irt2pl": {},
    "dkt": {**DEEP, "emb_dim": 16, "hidden_dim": 16},
    "sakt": {**DEEP, **SMALL},
    "simplekt": {**DEEP, **SMALL, "d_ff": 16, "final_fc_dim": 16},
    "akt": {**DEEP, **SMALL, "d_ff": 16, "final_fc_dim": 16},
    "dkvmn": {**DEEP, "d_model": 16, "memory_size": 10, "final_fc_dim": 16},
}
SETTINGS["stacked"] = {
    "members": ("dkt", "pfa"),
    "member_params": {"dkt": SETTINGS["dkt"], "pfa": SETTINGS["pfa"]},
}


@pytest.fixture(scope="module")
def data() -> list[list[InteractionSequence]]:
    return split(simulator_sequences(n_learners=240, events=50, seed=11))


@pytest.fixture(scope="module", params=sorted(SETTINGS))
def fitted(request: pytest.FixtureRequest, data: list[list[InteractionSequence]]) -> KTModel:
    return make_model(request.param, **SETTINGS[request.param]).fit(data[0], data[1])


def test_model_beats_chance_on_simulated_learners(
    fitted: KTModel, data: list[list[InteractionSequence]]
) -> None:
    test = data[2]
    preds = np.concatenate(fitted.predict_proba(test))
    labels = np.concatenate([s.correct for s in test])
    assert roc_auc(labels, preds) > 0.65


def test_more_correct_answers_mean_more_mastery(fitted: KTModel) -> None:
    good = bad = fitted.init_state()
    for _ in range(6):
        good = fitted.update(good, KTEvent((2,), True, problem=5))
        bad = fitted.update(bad, KTEvent((2,), False, problem=5))
    assert fitted.mastery(good, [2])[2] > fitted.mastery(bad, [2])[2]
    assert fitted.predict_next(good, [2], 5) > fitted.predict_next(bad, [2], 5)
