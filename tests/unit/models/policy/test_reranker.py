"""ZPD re-ranker: prerequisite safety, reasons, review, diversity, cold start."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.policy import (
    AbilityAware,
    AdaptivePolicy,
    Catalog,
    ContentItem,
    LearnerState,
    PrerequisiteMap,
    PriorEstimator,
    ZPDReranker,
)

PREREQS = {
    "fractions": [],
    "ratios": ["fractions"],
    "decimals": ["fractions"],
    "percentages": ["ratios", "decimals"],
}
CATALOG = Catalog(
    [
        ContentItem("f1", ("fractions",), p_correct_prior=0.9, popularity=10),
        ContentItem("f2", ("fractions",), p_correct_prior=0.7, popularity=1),
        ContentItem("r1", ("ratios",), p_correct_prior=0.7, popularity=5),
        ContentItem("r2", ("ratios", "fractions"), p_correct_prior=0.6),
        ContentItem("d1", ("decimals",), p_correct_prior=0.75),
        ContentItem("p1", ("percentages",), p_correct_prior=0.7, popularity=50),
    ]
)


def reranker(**kw: object) -> ZPDReranker:
    return ZPDReranker(PREREQS, CATALOG, PriorEstimator(), mastery_threshold=0.8, **kw)  # type: ignore[arg-type]


def test_items_with_unmastered_prerequisites_are_never_recommended() -> None:
    ranked = reranker().rank(LearnerState(mastery={"fractions": 0.5}, seen={"x": 1}), k=10)
    assert {r.item_id for r in ranked} == {"f1", "f2"}
    ranked = reranker().rank(LearnerState(mastery={"fractions": 0.9, "ratios": 0.9}, seen={"x": 1}))
    # percentages still needs decimals; mastered fractions-only items are done
    assert {r.item_id for r in ranked} == {"d1"}


def test_min_attempts_holds_back_dependents_until_enough_practice() -> None:
    """A high estimate after one answer does not unlock dependents when min_attempts is set."""
    lucky = LearnerState(mastery={"fractions": 0.95}, seen={"f1": 1})
    assert {r.item_id for r in reranker(min_attempts=3).rank(lucky, k=10)} == {"f1", "f2"}
    assert "r1" in {r.item_id for r in reranker().rank(lucky, k=10)}
    practised = LearnerState(mastery={"fractions": 0.95}, seen={"f1": 2, "f2": 1})
    ranked = {r.item_id for r in reranker(min_attempts=3).rank(practised, k=10)}
    assert ranked == {"r1", "r2", "d1"}


def test_enough_practice_unlocks_dependents_when_the_estimate_lags() -> None:
    """enough_attempts / enough_correct count a skill as mastered whatever its estimate."""
    lagging = LearnerState(
        mastery={"fractions": 0.5}, seen={"f1": 3, "f2": 1}, seen_correct={"f1": 2}
    )
    assert {r.item_id for r in reranker().rank(lagging, k=10)} == {"f1", "f2"}
    assert {r.item_id for r in reranker(enough_attempts=5).rank(lagging, k=10)} == {"f1", "f2"}
    unlocked = {r.item_id for r in reranker(enough_attempts=4).rank(lagging, k=10)}
    assert unlocked == {"r1", "r2", "d1"}
    assert {r.item_id for r in reranker(enough_correct=3).rank(lagging, k=10)} == {"f1", "f2"}
    unlocked = {r.item_id for r in reranker(enough_correct=2).rank(lagging, k=10)}
    assert unlocked == {"r1", "r2", "d1"}


class _RatedEstimator(PriorEstimator):
    """Prior estimator that rates every learner at a fixed ability offset."""

    def __init__(self, offset: float) -> None:
        super().__init__()
        self.offset = offset

    def ability_offset(self, state: LearnerState) -> float:
        return self.offset


def test_count_rules_scale_with_the_learners_ability_offset() -> None:
    """Learners answering below predictions need more answers before a count rule fires."""
    state = LearnerState(mastery={"fractions": 0.5}, seen={"f1": 4}, seen_correct={"f1": 3})

    def unlocked(offset: float | None, scaling: float, correct: int = 0, attempts: int = 0) -> bool:
        estimator = PriorEstimator() if offset is None else _RatedEstimator(offset)
        policy = ZPDReranker(
            PREREQS,
            CATALOG,
            estimator,
            enough_correct=correct,
            enough_attempts=attempts,
            count_ability_scaling=scaling,
        )
        return "r1" in {r.item_id for r in policy.rank(state, k=10)}

    assert isinstance(_RatedEstimator(0.0), AbilityAware)
    assert not isinstance(PriorEstimator(), AbilityAware)
    assert unlocked(0.0, 0.5, correct=3)
    assert not unlocked(-1.0, 0.5, correct=3)  # 3 * e^0.5 -> 5 correct needed
    assert unlocked(-1.0, 0.0, correct=3)  # scaling off: the same counts for all
    assert not unlocked(0.0, 0.5, correct=5)
    assert unlocked(1.0, 0.5, correct=5)  # 5 * e^-0.5 -> 3 correct are enough
    assert not unlocked(-1.0, 0.5, attempts=4)  # both count rules scale
    assert unlocked(None, 0.5, attempts=4)  # an estimator without ability: unscaled
    assert unlocked(-9.0, 0.5, correct=1)  # offset clipped to -2: e^1 -> 3 correct
    strong = ZPDReranker(
        PREREQS, CATALOG, _RatedEstimator(9.0), enough_correct=1, count_ability_scaling=10
    )
    assert not strong.is_mastered(LearnerState(seen={"f1": 1}), "fractions")  # never below 1


def test_every_item_carries_machine_readable_reasons() -> None:
    state = LearnerState(mastery={"fractions": 0.9}, seen={"f1": 2})
    ranked = reranker().rank(state, k=10)
    by_id = {r.item_id: r for r in ranked}
    codes = {r["code"] for r in by_id["r1"].reasons}
    assert {"prerequisites_met", "zpd", "new_skill"} <= codes
    zpd = next(r for r in by_id["r1"].reasons if r["code"] == "zpd")
    assert zpd == {"code": "zpd", "p_correct": 0.7, "target": 0.7}
    prereq = next(r for r in by_id["r1"].reasons if r["code"] == "prerequisites_met")
    assert prereq["skills"] == ["fractions"]


def test_zpd_prefers_items_near_the_target() -> None:
    state = LearnerState(mastery={"fractions": 0.1}, seen={"x": 1})
    ranked = reranker(target=0.7).rank(state, k=2)
    assert ranked[0].item_id == "f2"  # p 0.7 beats p 0.9 for the same skill
    ranked = reranker(target=0.9).rank(state, k=2)
    assert ranked[0].item_id == "f1"


def test_mastered_skills_come_back_for_spaced_review() -> None:
    mastered = {"fractions": 0.95, "ratios": 0.95, "decimals": 0.95, "percentages": 0.95}
    fresh = LearnerState(
        mastery=mastered, last_practiced={"fractions": 9.0}, now=10.0, seen={"f1": 1}
    )
    assert reranker(review_after_days=7).rank(fresh) == []
    stale = LearnerState(
        mastery=mastered, last_practiced={"fractions": 1.0}, now=10.0, seen={"f1": 1}
    )
    ranked = reranker(review_after_days=7).rank(stale)
    assert ranked and all("fractions" in r.skills for r in ranked)
    review = next(x for x in ranked[0].reasons if x["code"] == "review")
    assert review == {"code": "review", "skill": "fractions", "days_since": 9.0}


def test_diversity_spreads_a_list_over_skills() -> None:
    state = LearnerState(mastery={"fractions": 0.9}, seen={"x": 1})
    ranked = reranker(diversity_decay=0.01).rank(state, k=3)
    assert [r.skills[0] for r in ranked][:2] in (["ratios", "decimals"], ["decimals", "ratios"])
    assert any(x["code"] == "diversity" for x in ranked[2].reasons)


def test_cold_start_gets_popular_easy_root_items() -> None:
    ranked = reranker().rank(LearnerState(), k=3)
    assert {r.item_id for r in ranked} == {"f1", "f2"}  # only the root skill is reachable
    assert all(r.reasons[0] == {"code": "cold_start"} for r in ranked)
    f1 = next(r for r in ranked if r.item_id == "f1")
    assert any(x["code"] == "popular" for x in f1.reasons)


def test_candidates_from_a_recommender_are_filtered_and_rescored() -> None:
    state = LearnerState(mastery={"fractions": 0.9}, seen={"x": 1})
    ranked = reranker().rank(state, {"p1": 9.0, "r1": 1.0, "d1": 5.0, "unknown": 3.0}, k=5)
    assert [r.item_id for r in ranked] and {r.item_id for r in ranked} <= {"r1", "d1"}
    assert any(x["code"] == "relevance" for x in ranked[0].reasons)


def test_why_not_explains_filtered_items() -> None:
    state = LearnerState(mastery={"fractions": 0.5})
    assert reranker().why_not(state, "p1") == {
        "code": "prerequisites_unmastered",
        "skills": ["ratios", "decimals"],
    }
    assert reranker().why_not(state, "f1") is None


def test_adaptive_policy_keeps_practising_when_everything_is_mastered() -> None:
    state = LearnerState(mastery=dict.fromkeys(PREREQS, 0.99), seen={"x": 1})
    item = AdaptivePolicy(reranker()).next_item(state)
    assert item is not None and item.reasons[0]["code"] == "all_mastered"


@st.composite
def worlds(draw: st.DrawFn) -> tuple[dict[str, list[str]], Catalog, dict[str, float]]:
    n = draw(st.integers(2, 8))
    skills = [f"s{i}" for i in range(n)]
    prereqs = {s: [p for p in skills[:i] if draw(st.booleans())] for i, s in enumerate(skills)}
    items = [
        ContentItem(
            f"i{j}",
            tuple(draw(st.lists(st.sampled_from(skills), min_size=1, max_size=2, unique=True))),
            p_correct_prior=draw(st.floats(0.05, 0.95)),
        )
        for j in range(draw(st.integers(1, 12)))
    ]
    mastery = {s: draw(st.floats(0.0, 1.0)) for s in skills}
    return prereqs, Catalog(items), mastery


@settings(max_examples=150, deadline=None)
@given(worlds(), st.integers(1, 10))
def test_property_no_recommended_item_has_an_unmastered_prerequisite(
    world: tuple[dict[str, list[str]], Catalog, dict[str, float]], k: int
) -> None:
    prereqs, catalog, mastery = world
    policy = AdaptivePolicy(ZPDReranker(prereqs, catalog, PriorEstimator(), mastery_threshold=0.7))
    for item in policy.recommend(LearnerState(mastery=mastery, seen={"i0": 1}), k=k):
        for skill in item.skills:
            assert all(mastery[p] >= 0.7 for p in prereqs[skill]), (item, mastery)


def test_cyclic_prerequisites_are_rejected_naming_the_cycle() -> None:
    with pytest.raises(ValueError, match=r"cycle: b -> a -> b$"):
        PrerequisiteMap({"a": ["b"], "b": ["a"], "c": ["a"]})  # c only depends on the cycle
    dependents = {f"d{i}": ["a"] for i in range(12)}
    with pytest.raises(ValueError, match=r"cycle: z -> y -> a -> z$") as info:
        PrerequisiteMap({"a": ["y"], "y": ["z"], "z": ["a"], **dependents})
    assert info.value.cycle == ["z", "y", "a", "z"]  # type: ignore[attr-defined]


def test_prerequisite_map_matches_networkx_order() -> None:
    order = PrerequisiteMap(PREREQS).order
    graph = nx.DiGraph([(p, s) for s, ps in PREREQS.items() for p in ps])
    assert order == list(nx.lexicographical_topological_sort(graph))
