"""LPS planning: an ordered path of skills and content to goal skills.

The path covers the shortest prerequisite closure of the goals (unmastered goals and the
unmastered prerequisites they still need). Each skill's step is sized with a simple learning
curve, ``m_n = 1 - (1 - m_0) * (1 - r)^n`` (``r`` per skill, e.g. BKT's learn rate), to reach
its mastery threshold; steps are ordered greedily by expected mastery gain per minute among
the skills whose prerequisites are mastered or already earlier in the path, so the order is
always a valid topological order. With a time budget, steps that do not fit are dropped
together with everything that depends on them, and the goals they serve are reported as
unreached; so are goals behind a step capped at ``max_items_per_skill`` before its threshold
(the step stays in the path, marked ``capped``). A step's exercises practise nothing but its
skill and what that skill builds on; a skill whose exercises all practise another skill too
gets those whose other skills are ready at that point (reason ``also_practises``). Re-plan
whenever mastery changes (:meth:`PathPlanner.needs_replan`).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from models.policy.catalog import Catalog, ContentItem
from models.policy.common import SkillPolicy, per_skill
from models.policy.dag import PrerequisiteMap
from models.policy.errors import PolicyError
from models.policy.mastery import LearnerState, MasteryEstimator

Reason = dict[str, Any]


@dataclass(frozen=True)
class PathStep:
    """Practise ``skill`` with ``items`` (in order) from ``start_mastery`` to ``target_mastery``."""

    skill: str
    items: tuple[str, ...]
    start_mastery: float
    target_mastery: float
    expected_gain: float
    minutes: float
    reasons: list[Reason] = field(default_factory=list)


@dataclass(frozen=True)
class LearningPath:
    """An ordered plan; ``reached_goals`` are mastered at the end of it (or already were).

    ``assumed_mastered``: goals and direct prerequisites of planned steps that the plan skips
    because they were mastered when it was made (forgetting one calls for a re-plan).
    """

    goals: tuple[str, ...]
    steps: tuple[PathStep, ...]
    total_minutes: float
    budget_minutes: float | None
    reached_goals: tuple[str, ...]
    unreached_goals: tuple[str, ...]
    already_mastered: tuple[str, ...]
    assumed_mastered: tuple[str, ...] = ()

    @property
    def skills(self) -> list[str]:
        """Skills in path order."""
        return [s.skill for s in self.steps]


def as_state(state: LearnerState | Mapping[str, float]) -> LearnerState:
    """A learner state from a state or a plain ``{skill: mastery}``."""
    return state if isinstance(state, LearnerState) else LearnerState(mastery=dict(state))


class PathPlanner(SkillPolicy):
    """Plan prerequisite-respecting learning paths.

    Parameters
    ----------
    prerequisites : PrerequisiteMap or mapping of str to sequence of str
    catalog : Catalog
    estimator : MasteryEstimator
        P(correct) of items (ZPD choice of content) and prior mastery.
    mastery_threshold : float or mapping of str to float
        Level to reach per skill (default 0.85).
    learn_rate : float or mapping of str to float
        Per-practice learning rate ``r`` of the learning curve (default 0.2).
    max_items_per_skill : int
        Cap on a step's length (default 20).
    target : float
        Preferred predicted success of a step's items (default 0.7).
    """

    def __init__(
        self,
        prerequisites: PrerequisiteMap | Mapping[str, Sequence[str]],
        catalog: Catalog,
        estimator: MasteryEstimator,
        *,
        mastery_threshold: float | Mapping[str, float] = 0.85,
        default_threshold: float = 0.85,
        learn_rate: float | Mapping[str, float] = 0.2,
        max_items_per_skill: int = 20,
        target: float = 0.7,
    ) -> None:
        super().__init__(
            prerequisites,
            catalog,
            estimator,
            mastery_threshold=mastery_threshold,
            default_threshold=default_threshold,
        )
        self.learn_rate = learn_rate
        self.max_items_per_skill = max_items_per_skill
        self.target = target

    def plan(
        self,
        state: LearnerState | Mapping[str, float],
        goals: Sequence[str],
        *,
        budget_minutes: float | None = None,
    ) -> LearningPath:
        """The path to ``goals`` for a learner (a state, or a plain ``{skill: mastery}``).

        Raises
        ------
        UnknownGoalError
            A goal is not in the prerequisite graph (the message suggests near matches).
        """
        if not goals:
            raise PolicyError("plan needs at least one goal skill")
        if budget_minutes is not None and budget_minutes <= 0:
            raise PolicyError(f"budget_minutes must be > 0, got {budget_minutes}")
        state = as_state(state)
        goals = list(dict.fromkeys(goals))
        threshold = {s: self.threshold(s) for s in self.prerequisites.parents}
        mastered = lambda s: self.mastery(state, s) >= threshold[s]  # noqa: E731
        needed = self.prerequisites.closure(goals, mastered)
        serves = {
            s: sorted(g for g in goals if s == g or s in self.prerequisites.ancestors(g))
            for s in needed
        }
        drafts = {s: self._draft(state, s, threshold[s]) for s in needed}
        steps: list[PathStep] = []
        done: set[str] = set()
        spent = 0.0
        pending = set(needed)
        # a step is ready once every unmastered prerequisite is done; best first: highest
        # expected gain per minute, then earliest in topological order (ranks are unique)
        waiting = {
            s: sum(1 for p in self.prerequisites.parents[s] if not mastered(p)) for s in needed
        }
        ready = [(self._priority(drafts[s], s), s) for s, n in waiting.items() if n == 0]
        heapq.heapify(ready)
        while pending:
            if not ready:  # everything left depends on a dropped step
                break
            best = heapq.heappop(ready)[1]
            pending.discard(best)
            step = drafts[best]
            if budget_minutes is not None and spent + step.minutes > budget_minutes:
                continue  # dropped, and with it everything that depends on it
            reasons = list(step.reasons)
            reasons.append(
                {"code": "goal"} if best in goals else {"code": "needed_for", "goals": serves[best]}
            )
            steps.append(
                PathStep(
                    step.skill,
                    step.items,
                    step.start_mastery,
                    step.target_mastery,
                    step.expected_gain,
                    step.minutes,
                    reasons,
                )
            )
            done.add(best)
            spent += step.minutes
            for child in self.prerequisites.children[best]:
                if child in waiting:
                    waiting[child] -= 1
                    if waiting[child] == 0:
                        heapq.heappush(ready, (self._priority(drafts[child], child), child))
        # a goal is reached when its step and every needed step before it ran to the threshold
        short = {s for s in done if any(r["code"] == "capped" for r in drafts[s].reasons)}
        planned = set(needed)
        reached = tuple(
            g
            for g in goals
            if g not in planned
            or (g in done and short.isdisjoint((self.prerequisites.ancestors(g) | {g}) & planned))
        )
        # where the closure stopped: forgetting one of these changes what the plan needs
        relied_on = {p for s in needed for p in self.prerequisites.parents[s]} | set(goals)
        return LearningPath(
            goals=tuple(goals),
            steps=tuple(steps),
            total_minutes=round(spent, 4),
            budget_minutes=budget_minutes,
            reached_goals=reached,
            unreached_goals=tuple(g for g in goals if g not in reached),
            already_mastered=tuple(g for g in goals if mastered(g)),
            assumed_mastered=tuple(sorted(relied_on - planned)),
        )

    def _priority(self, draft: PathStep, skill: str) -> tuple[float, int]:
        """Heap key of a ready step: smallest first is the best next step."""
        return (-(draft.expected_gain / draft.minutes), self.prerequisites.rank[skill])

    def _draft(self, state: LearnerState, skill: str, threshold: float) -> PathStep:
        start = self.mastery(state, skill)
        rate = min(max(per_skill(self.learn_rate, skill, 0.2), 1e-3), 0.999)
        # a threshold of 1 is approached, never reached: the step is capped
        remaining = max(1.0 - threshold, 1e-9) / max(1.0 - start, 1e-9)
        n = max(
            1, min(math.ceil(math.log(remaining) / math.log(1.0 - rate)), self.max_items_per_skill)
        )
        items, also = self._choose_items(state, skill, n)
        minutes = sum(self.catalog.items[i].minutes for i in items) if items else float(n)
        end = 1.0 - (1.0 - start) * (1.0 - rate) ** n
        prereqs = list(self.prerequisites.parents[skill])
        reasons: list[Reason] = (
            [{"code": "prerequisites_met", "skills": prereqs}] if prereqs else []
        )
        gain = max(end - start, 1e-9)
        reasons.append({"code": "gain_per_minute", "value": round(gain / minutes, 6)})
        if not items:
            reasons.append({"code": "no_content", "skill": skill})
        if also:
            reasons.append({"code": "also_practises", "skills": also})
        if end < threshold:
            reasons.append(
                {
                    "code": "capped",
                    "items": n,
                    "expected_mastery": round(end, 4),
                    "threshold": threshold,
                }
            )
        return PathStep(
            skill,
            tuple(items),
            round(start, 4),
            round(end, 4),
            round(gain, 6),
            round(minutes, 4),
            reasons,
        )

    def _choose_items(self, state: LearnerState, skill: str, n: int) -> tuple[list[str], list[str]]:
        """``n`` items for the skill, closest to the ZPD target first (repeats if too few), and
        the skills beyond the skill and its ancestors that they also practise.

        Items practising nothing but the skill and its ancestors come first. A skill without
        such items (its content always comes with another skill) gets the items whose other
        skills are ready at this point of the path, i.e. need no prerequisite outside the
        skill and its ancestors; fewest other skills first.
        """
        covered = self.prerequisites.ancestors(skill) | {skill}
        tagged = self.catalog.for_skill(skill)
        pool = [i for i in tagged if covered.issuperset(i.skills)]
        if not pool:
            pool = [
                i
                for i in tagged
                if all(covered.issuperset(self.prerequisites.parents.get(s, ())) for s in i.skills)
            ]
        if not pool:
            return [], []

        def rank(item: ContentItem) -> tuple[int, float, str]:
            extra = len(set(item.skills) - covered)
            return (extra, abs(self.estimator.p_correct(state, item) - self.target), item.id)

        ordered = sorted(pool, key=rank)
        chosen = [ordered[i % len(ordered)] for i in range(n)]
        also = sorted({s for item in chosen for s in item.skills} - covered)
        return [item.id for item in chosen], also

    def replan(self, path: LearningPath, state: LearnerState | Mapping[str, float]) -> LearningPath:
        """A fresh plan for the same goals and budget from the learner's current mastery."""
        return self.plan(state, path.goals, budget_minutes=path.budget_minutes)

    def needs_replan(
        self,
        path: LearningPath,
        state: LearnerState | Mapping[str, float],
        *,
        tolerance: float = 0.1,
    ) -> bool:
        """Whether mastery moved away from what the path assumed: a step's skill by more than
        ``tolerance``, or a skill the plan skipped as mastered fell below its threshold."""
        state = as_state(state)
        mastery = state.mastery
        if any(self.mastery(state, s) < self.threshold(s) for s in path.assumed_mastered):
            return True
        return any(
            abs(mastery.get(step.skill, step.start_mastery) - step.start_mastery) > tolerance
            for step in path.steps
        )
