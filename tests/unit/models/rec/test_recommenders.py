"""Contract every recommender satisfies, plus metrics and blend weight selection."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.rec import NotFittedError, RecError, Recommender, load_recommender, make_recommender
from models.rec.blend import BlendRecommender
from models.rec.metrics import ndcg_at_k, recall_at_k, target_ranks

FAST: dict[str, dict[str, object]] = {
    "popularity": {},
    "itemknn": {"k": 10},
    "als": {"factors": 8, "iterations": 3},
    "bpr": {"factors": 8, "iterations": 5},
    "transitions": {"window": 3},
    "context": {"window": 3},
    "sasrec": {"epochs": 2, "d_model": 16, "max_len": 8, "n_negatives": 8, "batch_size": 16},
}


def sequences(n: int = 120, items: int = 25, seed: int = 0) -> list[list[str]]:
    """Learners walk a cycle of items from random starting points (sequence order matters)."""
    rng = np.random.default_rng(seed)
    return [
        [f"i{(s + j) % items}" for j in range(int(rng.integers(3, 12)))]
        for s in rng.integers(0, items, n)
    ]


@pytest.fixture(scope="module", params=list(FAST))
def fitted(request: pytest.FixtureRequest) -> Recommender:
    return make_recommender(request.param, **FAST[request.param]).fit(sequences())


def test_recommend_returns_k_known_unseen_items_best_first(fitted: Recommender) -> None:
    history = ["i3", "i4", "i5"]
    recs = fitted.recommend(history, k=5)
    assert len(recs) == 5
    assert all(r.item in fitted.vocabulary_ and r.item not in history for r in recs)
    scores = [r.score for r in recs]
    assert scores == sorted(scores, reverse=True)


def test_seen_items_can_be_kept(fitted: Recommender) -> None:
    all_items = fitted.recommend(["i1"], k=fitted.n_items, exclude_seen=False)
    assert len(all_items) == fitted.n_items


def test_candidates_restrict_the_ranking(fitted: Recommender) -> None:
    recs = fitted.recommend(["i1"], k=10, candidates=["i7", "i9", "unknown"])
    assert {r.item for r in recs} == {"i7", "i9"}


def test_cold_start_and_unknown_items_still_rank(fitted: Recommender) -> None:
    assert len(fitted.recommend([], k=3)) == 3
    assert len(fitted.recommend(["never-seen"], k=3)) == 3


def test_save_and_load_give_identical_scores(fitted: Recommender, tmp_path: Path) -> None:
    folder = fitted.save(tmp_path / fitted.name)
    again = load_recommender(folder)
    histories = [["i1", "i2"], [], ["i20"]]
    np.testing.assert_allclose(
        again.score(histories), fitted.score(histories), rtol=1e-5, atol=1e-6
    )
    assert again.get_params() == fitted.get_params()


def test_score_columns_follow_the_vocabulary(fitted: Recommender) -> None:
    scores = fitted.score([["i1"], ["i2"]])
    assert scores.shape == (2, fitted.n_items) and np.isfinite(scores).all()


@pytest.mark.parametrize("name", list(FAST))
def test_unfitted_model_raises(name: str) -> None:
    with pytest.raises(NotFittedError, match="not fitted"):
        make_recommender(name).recommend(["i1"])


def test_bad_inputs_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(RecError, match="unknown recommender 'svd'; known: popularity"):
        make_recommender("svd")
    with pytest.raises(RecError, match="at least one non-empty"):
        make_recommender("popularity").fit([[]])
    with pytest.raises(RecError, match="k must be >= 1"):
        make_recommender("popularity").fit(sequences()).recommend(["i1"], k=0)
    with pytest.raises(RecError, match="not a saved recommender"):
        load_recommender(tmp_path)


def test_transitions_predict_the_next_item_of_the_cycle() -> None:
    model = make_recommender("transitions", window=2).fit(sequences())
    assert model.recommend(["i3", "i4"], k=1)[0].item == "i5"


def test_transitions_group_term_covers_unseen_transitions() -> None:
    seqs = [["a1", "b1"], ["a1", "b1"], ["a1", "b1"], ["a2"]]
    groups = {"a1": "A", "a2": "A", "b1": "B"}
    plain = make_recommender("transitions", group_weight=0.0).fit(seqs, item_groups=groups)
    grouped = make_recommender("transitions", group_weight=1.0).fit(seqs, item_groups=groups)
    # nothing ever followed a2; its skill A is usually followed by skill B
    assert plain.recommend(["a2"], k=1)[0].item == "a1"  # popularity tie-break only
    assert grouped.recommend(["a2"], k=1)[0].item == "b1"


def test_metrics_on_a_known_ranking() -> None:
    scores = np.array([[0.9, 0.5, 0.1], [0.1, 0.2, 0.3], [-np.inf, 1.0, 0.0]])
    targets = np.array([1, 2, 0])
    assert target_ranks(scores, targets).tolist() == [1, 0, 3]
    np.testing.assert_allclose(ndcg_at_k(scores, targets, 2), [1 / np.log2(3), 1.0, 0.0])
    assert recall_at_k(scores, targets, 1).tolist() == [0.0, 1.0, 0.0]


def test_blend_weights_are_chosen_on_validation(tmp_path: Path) -> None:
    seqs = sequences()
    good = make_recommender("transitions", window=1).fit(seqs)
    bad = make_recommender("popularity").fit(seqs)
    blend = BlendRecommender(components={"popularity": bad, "transitions": good})
    weights = blend.select_weights([s[:-1] for s in seqs], [s[-1] for s in seqs], grid=(0.0, 4.0))
    assert weights == {"popularity": 1.0, "transitions": 4.0}
    assert blend.recommend(["i3"], k=1)[0].item == "i4"
    again = load_recommender(blend.save(tmp_path / "blend"))
    assert again.recommend(["i3"], k=3) == blend.recommend(["i3"], k=3)


def test_blend_aligns_components_with_different_items() -> None:
    first = make_recommender("popularity").fit([["a", "b"], ["a"]])
    second = make_recommender("popularity").fit([["c"], ["c"], ["c"]])
    blend = BlendRecommender(components={"first": first, "second": second})
    assert blend.vocabulary_.items == ["a", "b", "c"]
    top = blend.recommend([], k=3)
    assert [r.item for r in top][:1] == ["c"]  # c has all of second's probability mass


def test_blend_needs_matching_weights() -> None:
    model = make_recommender("popularity").fit(sequences())
    with pytest.raises(RecError, match="must name the components"):
        BlendRecommender(components={"p": model}, weights={"q": 1.0})
