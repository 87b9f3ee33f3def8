from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from models.kt import InteractionSequence
from models.kt.bkt import BKT
from models.policy import ContentItem, LearnerState
from pipelines.kt_data import Vocabulary
from serving.content import ContentIndex
from serving.knowledge import ArrayEstimator, skill_model


@dataclass
class Loaded:
    """What ``pipelines.registry.loading.load_kt`` returns (model and vocabulary)."""

    model: BKT
    vocab: Vocabulary


def fitted_bkt() -> Loaded:
    rng = np.random.default_rng(0)
    sequences = [
        InteractionSequence(rng.integers(1, 3, 30), (rng.random(30) < 0.8).astype(np.int8))
        for _ in range(40)
    ]
    return Loaded(BKT(seed=0).fit(sequences, n_skills=2), Vocabulary(["c", "zz"], []))


def test_champion_parameters_where_it_knows_the_skill(tiny_index: ContentIndex) -> None:
    kt = fitted_bkt()
    model = skill_model(tiny_index, kt)
    c = tiny_index.skill_pos["c"]
    assert model.from_champion.tolist() == [False, False, True, False, False]
    assert model.guess[c] == pytest.approx(kt.model.params_["guess"][1])
    assert model.slip[c] == pytest.approx(kt.model.params_["slip"][1])
    assert model.prior[c] == pytest.approx(kt.model.mastery(kt.model.init_state(), [1])[1])
    a = tiny_index.skill_pos["a"]
    assert (model.prior[a], model.guess[a], model.slip[a]) == pytest.approx((0.1, 0.2, 0.1))


def test_estimator_averages_bkt_over_an_items_skills(tiny_index: ContentIndex) -> None:
    estimator = ArrayEstimator(tiny_index, skill_model(tiny_index, None))
    state = LearnerState(mastery={"a": 0.9})
    both = ContentItem("x", ("a", "c"))
    expected = ((0.9 * 0.9 + 0.1 * 0.2) + (0.1 * 0.9 + 0.9 * 0.2)) / 2
    assert estimator.p_correct(state, both) == pytest.approx(expected)
    assert estimator.p_correct(state, ContentItem("y", ("unknown",))) == 0.5
    assert estimator.prior_mastery("c") == pytest.approx(0.1)
    assert estimator.prior_mastery("unknown") == 0.0
    assert estimator.thresholds()["d"] == 0.85
