"""Mastery snapshots (the input of prerequisite mining) from any model's online API."""

from __future__ import annotations

import numpy as np
import pytest

from models.kt.base import InteractionSequence, KTEvent
from models.kt.bkt import BKT
from models.kt.snapshots import mastery_snapshots


@pytest.fixture(scope="module")
def bkt() -> BKT:
    rng = np.random.default_rng(0)
    seqs = [InteractionSequence(rng.integers(1, 4, 40), rng.integers(0, 2, 40)) for _ in range(30)]
    return BKT(seed=0).fit(seqs, n_skills=3)


def test_a_row_every_k_answers_and_after_the_last(bkt: BKT) -> None:
    history = [KTEvent((1 + n % 2,), n % 3 != 0) for n in range(7)]
    rows = mastery_snapshots(bkt, [history, [], history[:2]], [1, 2, 3], every=3)
    assert rows.shape == (4, 3)  # after 3, 6 and 7 answers; the 2-answer history once
    expected = bkt.mastery(bkt.state_from_history(history[:6]), [1, 2, 3])
    np.testing.assert_allclose(rows[1], [expected[s] for s in (1, 2, 3)])
    final = bkt.mastery(bkt.state_from_history(history), [1, 2, 3])
    np.testing.assert_allclose(rows[2], [final[s] for s in (1, 2, 3)])


def test_practised_only_leaves_unanswered_skills_out(bkt: BKT) -> None:
    history = [KTEvent((1,), True), KTEvent((1, 2), False), KTEvent((1,), True)]
    rows = mastery_snapshots(bkt, [history], [1, 2, 3], every=1, practised_only=True)
    assert np.isnan(rows[0, 1]) and not np.isnan(rows[1, 1])
    assert np.isnan(rows[:, 2]).all() and not np.isnan(rows[:, 0]).any()
    prior = mastery_snapshots(bkt, [history], [1, 2, 3], every=1)
    assert not np.isnan(prior).any()
    np.testing.assert_allclose(prior[:, 2], bkt.params_["prior"][3])


def test_every_must_be_positive(bkt: BKT) -> None:
    with pytest.raises(ValueError, match="every must be >= 1"):
        mastery_snapshots(bkt, [], [1], every=0)
    assert mastery_snapshots(bkt, [], [1, 2], every=5).shape == (0, 2)
