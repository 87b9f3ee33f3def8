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


def test_a_goal_behind_a_mastered_skill_is_reached_when_an_unrelated_step_is_dropped() -> None:
    # counting -> addition -> multiplication with addition mastered: multiplication needs
    # nothing else, so dropping the (long) counting step must not mark it unreached
    slow = planner(learn_rate={"counting": 0.01, "multiplication": 0.5})
    path = slow.plan({"addition": 0.95}, ["counting", "multiplication"], budget_minutes=10)
    assert path.skills == ["multiplication"]
    assert path.reached_goals == ("multiplication",) and path.unreached_goals == ("counting",)


def test_a_step_capped_before_its_threshold_does_not_reach_its_goals() -> None:
    capped = planner(learn_rate={"counting": 0.01}, max_items_per_skill=5)
    path = capped.plan({}, ["addition"])
    first = path.steps[0]
    assert first.skill == "counting" and first.target_mastery < 0.8
    assert {
        "code": "capped",
        "items": 5,
        "expected_mastery": first.target_mastery,
        "threshold": 0.8,
    } in first.reasons
    assert path.skills == ["counting", "addition"]  # still worth practising, in order
    assert path.reached_goals == () and path.unreached_goals == ("addition",)


def test_a_threshold_of_one_is_capped_not_a_crash_and_bad_thresholds_are_refused() -> None:
    strict = PathPlanner(PREREQS, CATALOG, PriorEstimator(), mastery_threshold={"counting": 1.0})
    path = strict.plan({}, ["counting"])
    assert path.unreached_goals == ("counting",)
    assert "capped" in [r["code"] for r in path.steps[0].reasons]
    for bad in (1.5, -0.1, float("nan"), {"counting": 2.0}):
        with pytest.raises(PolicyError, match=r"mastery_threshold.* must be a number in \[0, 1\]"):
            PathPlanner(PREREQS, CATALOG, PriorEstimator(), mastery_threshold=bad)
    with pytest.raises(PolicyError, match=r"mastery_threshold\['counting'\]"):
        PathPlanner(PREREQS, CATALOG, PriorEstimator(), mastery_threshold={"counting": 2.0})


def test_replan_when_a_skill_the_plan_relied_on_is_forgotten() -> None:
    p = planner()
    path = p.plan({"multiplication": 0.9, "counting": 0.9}, ["division"])
    assert path.skills == ["subtraction", "division"]
    assert path.assumed_mastered == ("counting", "multiplication")
    assert not p.needs_replan(path, {"multiplication": 0.9, "counting": 0.9})
    forgot = {"multiplication": 0.5, "counting": 0.9}
    assert p.needs_replan(path, forgot)
    assert "multiplication" in p.replan(path, forgot).skills
    done = p.plan({"division": 0.95}, ["division"])  # nothing to do ... until it is forgotten
    assert not p.needs_replan(done, {"division": 0.95})
    assert p.needs_replan(done, {"division": 0.2})


def test_replan_when_mastery_changes() -> None:
    p = planner()
    path = p.plan({}, ["multiplication"])
    assert not p.needs_replan(path, {"counting": path.steps[0].start_mastery})
    assert p.needs_replan(path, {"counting": 0.7})
    state = LearnerState(mastery={"counting": 0.95, "addition": 0.5})
    assert p.needs_replan(path, state)
    again = p.replan(path, state)
    assert again.skills == ["addition", "multiplication"] and again.goals == path.goals


def test_a_skill_taught_only_with_another_skill_gets_items_whose_other_skills_are_ready() -> None:
    """No item practises `addition` alone: the ones that also practise `shapes` (ready: its
    prerequisite `counting` comes first) are used; the ones with `area` (needs `shapes`) not."""
    prereqs = {"counting": [], "addition": ["counting"], "shapes": ["counting"], "area": ["shapes"]}
    catalog = Catalog(
        [
            ContentItem("count-1", ("counting",), minutes=2.0),
            ContentItem("add-area-1", ("addition", "area"), minutes=2.0),
            ContentItem("add-shapes-1", ("addition", "shapes"), minutes=3.0),
            ContentItem("add-shapes-2", ("addition", "shapes", "counting"), minutes=3.0),
        ]
    )
    path = PathPlanner(prereqs, catalog, PriorEstimator(), mastery_threshold=0.8).plan(
        {}, ["addition"]
    )
    assert path.skills == ["counting", "addition"]
    counting, addition = path.steps
    assert set(counting.items) == {"count-1"}  # only-counting items exist: no co-tagged ones
    assert set(addition.items) == {"add-shapes-1", "add-shapes-2"}
    assert addition.minutes == 3.0 * len(addition.items)
    assert {"code": "also_practises", "skills": ["shapes"]} in addition.reasons
    assert all(r["code"] not in {"no_content", "also_practises"} for r in counting.reasons)
    # nothing ready: `area` needs `shapes`, which is not on the way to `addition`
    alone = Catalog([ContentItem("add-area-1", ("addition", "area"))])
    step = (
        PathPlanner(prereqs, alone, PriorEstimator(), mastery_threshold=0.8)
        .plan({"counting": 0.9}, ["addition"])
        .steps[0]
    )
    assert step.items == () and {"code": "no_content", "skill": "addition"} in step.reasons


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
    pairs = data.draw(st.lists(st.tuples(st.sampled_from(skills), st.sampled_from(skills))))
    catalog = Catalog(
        [ContentItem(f"{s}-item", (s,)) for s in skills if data.draw(st.booleans())]
        + [ContentItem(f"{a}-{b}-{i}", (a, b)) for i, (a, b) in enumerate(pairs) if a != b]
    )
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
        # an item needs nothing beyond the step's skill and what that skill builds on
        covered = dag_map.ancestors(step.skill) | {step.skill}
        for item in (catalog.items[i] for i in step.items):
            assert step.skill in item.skills
            assert all(covered.issuperset(dag[s]) for s in item.skills)
    assert len(set(path.skills)) == len(path.skills)
    # reached goals: mastered already, or planned with every needed step up to its threshold
    for goal in path.reached_goals:
        if mastery[goal] < 0.7:
            chain = [s for s in path.steps if s.skill == goal or s.skill in dag_map.ancestors(goal)]
            assert goal in path.skills and all(s.target_mastery >= 0.7 for s in chain), path
    assert set(path.reached_goals) | set(path.unreached_goals) == set(goals)
