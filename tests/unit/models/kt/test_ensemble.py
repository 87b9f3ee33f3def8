"""StackedKT: the combiner, member checks and persistence of the nested member files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from testkit.kt import simulator_sequences, split

from models.kt import InteractionSequence, KTError, load_model, make_model
from models.kt.ensemble import StackedKT, logit

MEMBERS = {"pfa": {}, "irt1pl": {"max_iter": 50}}


@pytest.fixture(scope="module")
def data() -> list[list[InteractionSequence]]:
    return split(simulator_sequences(n_learners=120, events=40, seed=5))


@pytest.fixture(scope="module")
def members(data: list[list[InteractionSequence]]) -> list:
    return [make_model(n, **p).fit(data[0], data[1]) for n, p in MEMBERS.items()]


def _log_loss(labels: np.ndarray, p: np.ndarray) -> float:
    return float(-np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)))


def test_one_member_without_valid_reproduces_that_member(
    members: list, data: list[list[InteractionSequence]]
) -> None:
    stacked = StackedKT(members=("pfa",)).fit_combiner(members[:1], None)
    for a, b in zip(stacked.predict_proba(data[2]), members[0].predict_proba(data[2]), strict=True):
        np.testing.assert_allclose(a, np.clip(b, 1e-6, 1 - 1e-6), rtol=1e-9)


def test_combiner_fits_valid_at_least_as_well_as_any_member(
    members: list, data: list[list[InteractionSequence]]
) -> None:
    valid = data[1]
    labels = np.concatenate([s.correct for s in valid]).astype(float)
    stacked = StackedKT(members=tuple(MEMBERS), C=1e6).fit_combiner(members, valid)
    combined = _log_loss(labels, np.concatenate(stacked.predict_proba(valid)))
    for member in members:
        single = np.clip(np.concatenate(member.predict_proba(valid)), 1e-6, 1 - 1e-6)
        assert combined <= _log_loss(labels, single) + 1e-9
    assert np.all(np.isfinite(stacked.weights_)) and stacked.weights_.shape == (2,)


def test_online_answers_combine_member_answers(members: list) -> None:
    stacked = StackedKT(members=tuple(MEMBERS)).fit_combiner(members, None)
    seq = InteractionSequence(np.array([1, 2, 1]), np.array([1, 0, 1]), np.array([4, 5, 4]))
    state = stacked.state_from_history(seq)
    member_p = [m.predict_next(m.state_from_history(seq), [2], 5) for m in members]
    assert stacked.predict_next(state, [2], 5) == pytest.approx(
        1 / (1 + np.exp(-np.mean(logit(np.array(member_p)))))
    )
    assert set(stacked.mastery(state)) == set(range(1, stacked.n_skills_ + 1))


@pytest.mark.parametrize(
    ("members", "message"),
    [((), "members is empty"), (("pfa", "pfa"), "repeats a name"), (("stacked",), "itself")],
)
def test_bad_member_lists_raise_domain_errors(members: tuple, message: str) -> None:
    with pytest.raises(KTError, match=message):
        make_model("stacked", members=members).fit([])


def test_fitted_members_must_match_the_names(members: list) -> None:
    with pytest.raises(KTError, match="do not match"):
        StackedKT(members=("irt1pl", "pfa")).fit_combiner(members, None)


def test_saved_file_holds_the_members(members: list, tmp_path: Path) -> None:
    stacked = StackedKT(members=tuple(MEMBERS)).fit_combiner(members, None)
    again = load_model(stacked.save(tmp_path / "stacked"))
    assert isinstance(again, StackedKT)
    assert [m.name for m in again.models_] == list(MEMBERS)
    np.testing.assert_array_equal(again.weights_, stacked.weights_)
