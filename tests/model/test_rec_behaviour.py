"""Behaviour of the recommenders: minimum functionality, invariance, direction."""

from __future__ import annotations

import numpy as np

from models.rec import make_recommender


def cycle_sequences(n_items: int = 12, n: int = 150, seed: int = 0) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    return [
        [f"i{(s + j) % n_items}" for j in range(int(rng.integers(4, 11)))]
        for s in rng.integers(0, n_items, n)
    ]


def top1_accuracy(model: object, seqs: list[list[str]]) -> float:
    hits = [model.recommend(s[:-1], k=1)[0].item == s[-1] for s in seqs]  # type: ignore[attr-defined]
    return float(np.mean(hits))


def test_sasrec_learns_a_sequential_pattern() -> None:
    train, test = cycle_sequences(seed=0), cycle_sequences(n=60, seed=1)
    model = make_recommender(
        "sasrec",
        epochs=15,
        d_model=32,
        max_len=10,
        n_negatives=12,
        batch_size=32,
        dropout=0.1,
        lr=5e-3,
    ).fit(train)
    popularity = make_recommender("popularity").fit(train)
    assert top1_accuracy(model, test) >= 0.8
    assert top1_accuracy(popularity, test) < 0.3


def test_transitions_are_invariant_to_item_relabelling() -> None:
    seqs = cycle_sequences()
    rename = {f"i{k}": f"item-{(7 * k) % 12:02d}" for k in range(12)}
    plain = make_recommender("transitions").fit(seqs)
    renamed = make_recommender("transitions").fit([[rename[i] for i in s] for s in seqs])
    for history in (["i1", "i2"], ["i5"], ["i9", "i10", "i11"]):
        expected = [rename[r.item] for r in plain.recommend(history, k=3)]
        assert [r.item for r in renamed.recommend([rename[i] for i in history], k=3)] == expected


def test_more_evidence_for_a_transition_raises_its_score() -> None:
    base = [["a", "b"], ["a", "c"], ["a", "c"]]
    before = make_recommender("transitions", window=1).fit(base)
    after = make_recommender("transitions", window=1).fit([*base, ["a", "b"], ["a", "b"]])
    score = lambda m: {r.item: r.score for r in m.recommend(["a"], k=3)}  # noqa: E731
    assert score(after)["b"] > score(before)["b"]
    assert (
        before.recommend(["a"], k=1)[0].item == "c" and after.recommend(["a"], k=1)[0].item == "b"
    )
