"""ContextRecommender: learns forward transitions and exercise pools done in any order."""

from __future__ import annotations

import numpy as np
import pytest

from models.rec import RecError, make_recommender
from models.rec.context import ContextRecommender
from models.rec.metrics import ndcg_at_k

POOLS = [[f"p{p}-{j}" for j in range(5)] for p in range(6)]


def pool_sequences(n: int = 300, seed: int = 0) -> list[list[str]]:
    """Learners work through the pools in a fixed order, each pool's items shuffled."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        start = int(rng.integers(0, len(POOLS) - 1))
        seq: list[str] = []
        for pool in POOLS[start : start + 2]:
            seq += [pool[i] for i in rng.permutation(len(pool))]
        out.append(seq)
    return out


def test_forward_only_context_predicts_the_next_item_of_a_cycle() -> None:
    cycle = [[f"i{(s + j) % 20}" for j in range(8)] for s in range(20) for _ in range(3)]
    model = ContextRecommender(window=1, backward=0.0, recent=1).fit(cycle)
    assert [r.item for r in model.recommend(["i3", "i4"], k=1)] == ["i5"]


def test_recent_items_vote_for_their_unseen_pool_mates() -> None:
    model = ContextRecommender().fit(pool_sequences())
    history = ["p1-3", "p2-4", "p2-0"]  # left pool 1, two items into pool 2
    top = {r.item for r in model.recommend(history, k=3)}
    assert top == {"p2-1", "p2-2", "p2-3"}


def next_item_ndcg(model: ContextRecommender, sequences: list[list[str]]) -> float:
    """NDCG@3 of the item after a random cut of each sequence (seen items excluded)."""
    rng = np.random.default_rng(0)
    cuts = [int(rng.integers(1, len(s))) for s in sequences]
    histories = [s[:c] for s, c in zip(sequences, cuts, strict=True)]
    targets = [s[c] for s, c in zip(sequences, cuts, strict=True)]
    scores = model.score(histories).astype(np.float64)
    for row, history in zip(scores, histories, strict=True):
        row[model.vocabulary_.encode(history)] = -np.inf
    return float(ndcg_at_k(scores, model.vocabulary_.encode(targets), 3).mean())


def test_backward_links_help_when_pools_are_done_in_any_order() -> None:
    # few learners: many orders inside a pool were never seen, their reverse often was
    train, held_out = pool_sequences(20, seed=10), pool_sequences(200, seed=100)
    with_back = ContextRecommender(backward=1.0).fit(train)
    forward = ContextRecommender(backward=0.0).fit(train)
    assert next_item_ndcg(with_back, held_out) > next_item_ndcg(forward, held_out) + 0.02


def test_is_registered_with_its_parameters() -> None:
    model = make_recommender("context", window=2, recent=3).fit(pool_sequences(50))
    assert isinstance(model, ContextRecommender)
    assert model.get_params()["window"] == 2 and model.get_params()["recent"] == 3


@pytest.mark.parametrize(
    ("params", "message"),
    [({"window": 0}, "window and recent must be >= 1"), ({"backward": -1.0}, "backward")],
)
def test_bad_parameters_are_refused(params: dict[str, float], message: str) -> None:
    with pytest.raises(RecError, match=message):
        ContextRecommender(**params).fit(pool_sequences(5))  # type: ignore[arg-type]
