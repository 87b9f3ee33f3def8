"""LPS planner: valid order, closure, budget, re-planning, unknown goals."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.policy import (
    Catalog,
    ContentItem,
    LearnerState,
    PathPlanner,
    PolicyError,
    PrerequisiteMap,
    PriorEstimator,
    UnknownGoalError,
)

PREREQS = {
    "counting": [],
    "addition": ["counting"],
    "subtraction": ["counting"],
    "multiplication": ["addition"],
    "division": ["multiplication", "subtraction"],
    "geometry": [],
}
CATALOG = Catalog(
    [
        ContentItem(f"{s}-{i}", (s,), minutes=2.0, p_correct_prior=0.5 + 0.1 * i)
        for s in PREREQS
        for i in range(4)
    ]
)


def planner(**kw: object) -> PathPlanner:
    return PathPlanner(PREREQS, CATALOG, PriorEstimator(), mastery_threshold=0.8, **kw)  # type: ignore[arg-type]


def test_path_is_the_closure_in_a_valid_topological_order() -> None:
    path = planner().plan({}, ["division"])
    assert set(path.skills) == {"counting", "addition", "subtraction", "multiplication", "division"}
    assert PrerequisiteMap(PREREQS).is_topological(path.skills)
    assert path.reached_goals == ("division",) and path.unreached_goals == ()
    assert path.total_minutes == pytest.approx(sum(s.minutes for s in path.steps))


def test_mastered_skills_are_skipped_and_prune_the_closure() -> None:
    path = planner().plan({"multiplication": 0.9, "counting": 0.9}, ["division"])
    assert path.skills == ["subtraction", "division"]
    done = planner().plan({"division": 0.95}, ["division"])
    assert done.steps == () and done.already_mastered == ("division",)


def test_steps_carry_content_gain_and_reasons() -> None:
    step = planner().plan({"counting": 0.9}, ["addition"]).steps[0]
    assert (
        step.skill == "addition"
        and step.items
        and all(i.startswith("addition-") for i in step.items)
    )
    assert step.items[0] == "addition-2"  # p 0.7: closest to the ZPD target
    assert step.target_mastery >= 0.8 > step.start_mastery
    assert step.minutes == 2.0 * len(step.items)
    codes = [r["code"] for r in step.reasons]
    assert codes == ["prerequisites_met", "gain_per_minute", "goal"]


def test_greedy_order_prefers_gain_per_minute_among_available_skills() -> None:
    fast = planner(learn_rate={"subtraction": 0.6, "addition": 0.1})
    path = fast.plan({"counting": 0.9}, ["division"])
    assert path.skills.index("subtraction") < path.skills.index("addition")


def test_budget_drops_steps_and_reports_unreached_goals() -> None:
    full = planner().plan({}, ["division", "geometry"])
    budget = full.steps[0].minutes + 0.5
    short = planner().plan({}, ["division", "geometry"], budget_minutes=budget)
    assert short.total_minutes <= budget
    assert PrerequisiteMap(PREREQS).is_topological(short.skills)
    assert "division" in short.unreached_goals


def test_replan_when_mastery_changes() -> None:
    p = planner()
    path = p.plan({}, ["multiplication"])
    assert not p.needs_replan(path, {})
    state = LearnerState(mastery={"counting": 0.95, "addition": 0.5})
    assert p.needs_replan(path, state)
    again = p.replan(path, state)
    assert again.skills == ["addition", "multiplication"] and again.goals == path.goals


def test_unknown_goal_is_a_clear_error_with_suggestions() -> None:
    with pytest.raises(
        UnknownGoalError, match=r"unknown goal skill 'multiplcation'; did you mean: multiplication"
    ):
        planner().plan({}, ["multiplcation"])
    with pytest.raises(UnknownGoalError, match=r"unknown goal skill 'zzz'$"):
        planner().plan({}, ["zzz"])
    with pytest.raises(PolicyError, match="at least one goal"):
        planner().plan({}, [])
    with pytest.raises(PolicyError, match="budget_minutes must be > 0"):
        planner().plan({}, ["addition"], budget_minutes=0)


@st.composite
def dags(draw: st.DrawFn) -> dict[str, list[str]]:
    n = draw(st.integers(1, 10))
    skills = [f"s{i}" for i in range(n)]
    return {s: [p for p in skills[:i] if draw(st.booleans())] for i, s in enumerate(skills)}


@settings(max_examples=100, deadline=None)
@given(dags(), st.data())
def test_property_every_plan_is_a_valid_topological_order(
    dag: dict[str, list[str]], data: st.DataObject
) -> None:
    skills = list(dag)
    catalog = Catalog([ContentItem(f"{s}-item", (s,)) for s in skills])
    mastery = {s: data.draw(st.floats(0, 1)) for s in skills}
    goals = data.draw(st.lists(st.sampled_from(skills), min_size=1, max_size=3))
    budget = data.draw(st.one_of(st.none(), st.floats(1, 50)))
    path = PathPlanner(dag, catalog, PriorEstimator(), mastery_threshold=0.7).plan(
        mastery, goals, budget_minutes=budget
    )
    dag_map = PrerequisiteMap(dag)
    assert dag_map.is_topological(path.skills)
    for step in path.steps:  # each prerequisite is mastered or planned earlier
        earlier = set(path.skills[: path.skills.index(step.skill)])
        assert all(mastery[p] >= 0.7 or p in earlier for p in dag[step.skill])
    assert len(set(path.skills)) == len(path.skills)
