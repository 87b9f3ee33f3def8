from __future__ import annotations

import numpy as np
import pytest

from models.rec import make_recommender
from serving.content import ContentIndex
from serving.res.engine import Engine, LearnerView, Query

NOW = 1_800_000_000.0


@pytest.fixture(scope="module")
def engine(tiny_index: ContentIndex) -> Engine:
    return Engine(tiny_index, candidates=5)


def ids(ranked: list) -> list[str]:  # type: ignore[type-arg]
    return [r.item_id for r in ranked]


def test_cold_start_gets_root_items_only(engine: Engine) -> None:
    ranked = engine.rank(Query("new-learner", k=10), LearnerView(), NOW)
    assert set(ids(ranked)) == {"oat-p1", "oat-p2", "oat-p3", "oat-q1", "oat-q2"}
    assert all({"code": "cold_start"} in r.reasons for r in ranked)
    assert all(0.0 < r.p_correct < 1.0 for r in ranked)


def test_mastered_prerequisites_unlock_the_next_lesson(engine: Engine) -> None:
    learner = LearnerView(mastery={"a": 0.95, "b": 0.9})
    ranked = engine.rank(Query("l", k=3, course_id="algebra-one"), learner, NOW)
    assert ids(ranked)[:2] == ["oat-p4", "oat-p5"] or set(ids(ranked)[:2]) == {"oat-p4", "oat-p5"}
    first = ranked[0]
    assert {"code": "prerequisites_met", "skills": ["a", "b"]} in first.reasons
    assert all(r.get("code") != "cold_start" for r in first.reasons)


@pytest.mark.parametrize("seed", range(20))
def test_never_recommends_an_item_with_unmastered_prerequisites(engine: Engine, seed: int) -> None:
    rng = np.random.default_rng(seed)
    mastery = {s: float(rng.uniform(0.0, 1.0)) for s in engine.index.skills if rng.random() < 0.8}
    learner = LearnerView(mastery=mastery)
    prereq = engine.index.prerequisites
    for item in ids(engine.rank(Query("l", k=8), learner, NOW)):
        for skill in engine.index.catalog.items[item].skills:
            for parent in prereq.parents.get(skill, ()):
                assert engine.mastered(parent, learner), (item, parent, mastery)


def test_filters_and_history(engine: Engine) -> None:
    learner = LearnerView(mastery={"a": 0.95, "b": 0.9})
    only_c = engine.rank(Query("l", k=5, skills=("c",)), learner, NOW)
    assert set(ids(only_c)) == {"oat-p4", "oat-p5"}
    seen = engine.rank(Query("l", k=5, skills=("c",), history=("oat-p4",)), learner, NOW)
    assert ids(seen) == ["oat-p5"]
    again = engine.rank(
        Query("l", k=5, skills=("c",), history=("oat-p4",), exclude_seen=False), learner, NOW
    )
    repeat = next(r for r in again if r.item_id == "oat-p4")
    assert {"code": "repeat", "times": 1} in repeat.reasons
    assert engine.rank(Query("l", k=5, content_types=("video",)), learner, NOW)[0].reasons[0] == {
        "code": "scope_widened",
        "reason": "no reachable item matches the filters",
    }


def test_without_a_course_the_latest_history_item_sets_it(engine: Engine) -> None:
    learner = LearnerView(mastery={"a": 0.95, "b": 0.9})
    ranked = engine.rank(Query("l", k=5, history=("oat-p1", "oat-q1")), learner, NOW)
    assert ids(ranked) == ["oat-q2"]  # geometry, although algebra's lesson 2 is open too
    assert ranked[0].reasons[0] == {"code": "course_from_history", "course_id": "geometry"}
    # nothing left to learn in that course: the whole catalog, without the note
    done = LearnerView(mastery={"a": 0.95, "b": 0.9, "g": 0.95})
    ranked = engine.rank(Query("l", k=5, history=("oat-q1",)), done, NOW)
    assert set(ids(ranked)) == {"oat-p4", "oat-p5"}
    assert all(r.reasons[0]["code"] != "course_from_history" for r in ranked)
    # a course in the request wins
    ranked = engine.rank(
        Query("l", k=5, course_id="algebra-one", history=("oat-q1",)), learner, NOW
    )
    assert set(ids(ranked)) == {"oat-p4", "oat-p5"}


def test_everything_mastered_keeps_practising_the_weakest(engine: Engine) -> None:
    learner = LearnerView(mastery=dict.fromkeys(engine.index.skills, 0.99) | {"g": 0.9})
    ranked = engine.rank(Query("l", k=2, course_id="geometry"), learner, NOW)
    assert set(ids(ranked)) == {"oat-q1", "oat-q2"}
    assert ranked[0].reasons == [{"code": "all_mastered", "skill": "g"}]


def test_anchor_skills_and_curriculum_follow_the_request(engine: Engine) -> None:
    query = Query("l", history=("oat-p4",))
    assert engine.anchor_skills(query)[:3] == ["c", "a", "b"]
    assert "d" in engine.anchor_skills(query)
    assert engine.curriculum(query) == ["a", "b", "c", "d"]
    assert engine.curriculum(Query("l", course_id="geometry")) == ["g"]


def test_recommender_relevance_reorders_within_the_zpd(tiny_index: ContentIndex) -> None:
    rec = make_recommender("popularity").fit([["oat-p2"], ["oat-p2"], ["oat-p2", "oat-p1"]])
    engine = Engine(tiny_index, rec=rec, candidates=5)
    assert engine.rec_overlap == 2
    ranked = engine.rank(Query("l", k=2, skills=("a",)), LearnerView(), NOW)
    assert ids(ranked)[0] == "oat-p2"
    assert {"code": "relevance", "score": 1.0} in ranked[0].reasons


def test_score_reports_mastery_and_p_correct(engine: Engine) -> None:
    mastery, p = engine.score(LearnerView(mastery={"a": 0.9}), ["a", "b", "zz"], ["oat-p1", "nope"])
    assert mastery == {"a": (0.9, True), "b": (pytest.approx(0.1), False)}
    assert p == {"oat-p1": pytest.approx(0.9 * 0.9 + 0.1 * 0.2)}


def test_skills_behind_the_frontier_are_not_recommended(engine: Engine) -> None:
    ranked = engine.rank(Query("l", k=10), LearnerView(behind=frozenset({"a", "g"})), NOW)
    assert set(ids(ranked)) == {"oat-p3"}  # b only: a and g are behind, c and d locked
