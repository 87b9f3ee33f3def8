"""LPS domain logic: plan, store and re-plan learning paths.

A plan needs the learner's mastery of the goals and their prerequisites: LPS asks RES (gRPC
``Score``, through :class:`serving.grpc_client.ResClient`). When RES cannot answer it degrades:
the learner's last RES answer if it is younger than ``serving.lps_cache_ttl_s`` (``cached``),
else the model priors (``prior``: a plan for a new learner, items in curriculum order) — the
answer says which and the fallback is counted. A ``ProgressUpdateEvent`` moving a skill's
mastery more than ``serving.replan_tolerance`` away from what a stored path assumed re-plans it
(``ahead`` or ``behind``) from the stored assumptions plus the new value.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Any

from features.events import ProgressUpdateEvent
from learnloop.settings import Settings
from models.policy import LearnerState, LearningPath, PathPlanner, PolicyError
from serving.content import ContentIndex
from serving.grpc_client import ResClient, ResRejectedError, ResUnavailableError
from serving.knowledge import ArrayEstimator, skill_model
from serving.lps.store import PathStore, StoredPath
from serving.metrics import DEGRADED, INFERENCE_SECONDS, PREDICTIONS, REPLANS
from serving.tracing import tracer

logger = logging.getLogger(__name__)
SERVICE = "lps"
CACHE_LEARNERS = 50_000
# RES round trips of the closure walk before asking for the rest at once: the goals, then all
# their unread prerequisites (a deeper walk asked ~90 % of them anyway, one round trip each)
MAX_ROUNDS = 2


class PathRequestError(ValueError):
    """A path request that cannot be planned; ``field`` names the bad input."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def plan_to_dict(path: LearningPath) -> dict[str, Any]:
    """JSON form of a plan (what is stored and answered): ``dataclasses.asdict`` with lists
    for tuples, built field by field (``asdict`` deep-copies every reason: ~10 ms for a
    500-step plan)."""
    return {
        "goals": list(path.goals),
        "steps": [
            {
                "skill": s.skill,
                "items": list(s.items),
                "start_mastery": s.start_mastery,
                "target_mastery": s.target_mastery,
                "expected_gain": s.expected_gain,
                "minutes": s.minutes,
                "reasons": [dict(r) for r in s.reasons],
            }
            for s in path.steps
        ],
        "total_minutes": path.total_minutes,
        "budget_minutes": path.budget_minutes,
        "reached_goals": list(path.reached_goals),
        "unreached_goals": list(path.unreached_goals),
        "already_mastered": list(path.already_mastered),
        "assumed_mastered": list(path.assumed_mastered),
    }


class PathService:
    """Plans, stores and re-plans paths (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        index: ContentIndex,
        store: PathStore,
        res: ResClient | None,
    ) -> None:
        self.settings = settings
        self.index = index
        self.store = store
        self.res = res
        model = skill_model(index, None)
        self.estimator = ArrayEstimator(index, model)
        self.planner = PathPlanner(
            index.prerequisites,
            index.catalog,
            self.estimator,
            mastery_threshold=self.estimator.thresholds(),
            learn_rate=dict(zip(index.skills, index.table.learn.tolist(), strict=True)),
        )
        self._cache: OrderedDict[str, tuple[float, dict[str, float], dict[str, Any]]] = (
            OrderedDict()
        )

    # ------------------------------------------------------------------ requests
    def goals(self, goal_skills: list[str], course_id: str | None) -> list[str]:
        """The goal skills of a request (a course's goals: its learning objectives)."""
        if bool(goal_skills) == bool(course_id):
            raise PathRequestError("goal_skills", "give either goal_skills or course_id")
        if course_id is not None:
            order = self.index.course_skills.get(course_id)
            if order is None:
                raise PathRequestError("course_id", f"unknown course {course_id!r}")
            return [self.index.skills[int(s)] for s in order]
        unknown = [s for s in goal_skills if s not in self.index.skill_pos]
        if unknown:
            raise PathRequestError("goal_skills", f"unknown skills: {', '.join(unknown[:5])}")
        return list(dict.fromkeys(goal_skills))

    def needed_skills(self, goals: list[str]) -> list[str]:
        """Goals and all their prerequisites (what a plan may need the mastery of)."""
        needed = dict.fromkeys(goals)
        for goal in goals:
            needed.update(dict.fromkeys(sorted(self.index.prerequisites.ancestors(goal))))
        return list(needed)

    async def create(
        self, learner_id: str, goals: list[str], budget_minutes: float | None
    ) -> StoredPath:
        """Plan a path for the learner and store it."""
        mastery, served = await self.mastery(learner_id, goals)
        started = time.perf_counter()
        with tracer().start_as_current_span("lps.plan"):
            path = await asyncio.to_thread(self.plan, goals, mastery, budget_minutes)
        INFERENCE_SECONDS.labels(SERVICE, "path-planner", "1", "default").observe(
            time.perf_counter() - started
        )
        PREDICTIONS.labels(SERVICE, "path-planner", "1", "default").inc()
        return await asyncio.to_thread(
            self.store.create,
            learner_id=learner_id,
            goals=goals,
            budget_minutes=budget_minutes,
            plan=plan_to_dict(path),
            assumed={s: [m, None] for s, m in mastery.items()},
            served=served,
        )

    def plan(
        self, goals: list[str], mastery: dict[str, float], budget_minutes: float | None
    ) -> LearningPath:
        """A plan from a mastery snapshot (policy errors become request errors)."""
        try:
            return self.planner.plan(
                LearnerState(mastery=mastery), goals, budget_minutes=budget_minutes
            )
        except PolicyError as exc:
            raise PathRequestError("goal_skills", str(exc)) from exc

    async def mastery(
        self, learner_id: str, goals: list[str]
    ) -> tuple[dict[str, float], dict[str, Any]]:
        """Mastery a plan for ``goals`` needs: from RES, else the learner's cached answer,
        else priors (flagged in ``served`` and counted)."""
        reason = "res_not_configured"
        if self.res is not None:
            try:
                return await self._from_res(learner_id, goals)
            except ResUnavailableError as exc:
                reason = "res_unavailable"
                logger.warning("RES unavailable for a plan: %s", exc)
            except ResRejectedError as exc:
                raise PathRequestError("learner_id", str(exc)) from exc
        skills = self.needed_skills(goals)
        cached = self._cache.get(learner_id)
        if (
            cached is not None
            and time.monotonic() - cached[0] <= self.settings.serving.lps_cache_ttl_s
        ):
            DEGRADED.labels(SERVICE, f"{reason}:cached").inc()
            priors = {s: self.estimator.prior_mastery(s) for s in skills}
            known = {s: v for s, v in cached[1].items() if s in priors}
            served = {**cached[2], "source": "cached", "degraded": [reason]}
            return {**priors, **known}, served
        DEGRADED.labels(SERVICE, f"{reason}:prior").inc()
        priors = {s: self.estimator.prior_mastery(s) for s in skills}
        return priors, {"source": "prior", "degraded": [reason], "kt": None}

    async def _from_res(
        self, learner_id: str, goals: list[str]
    ) -> tuple[dict[str, float], dict[str, Any]]:
        """Walk back from the goals level by level, asking RES for each level's mastery and
        going on only through unmastered skills (what the planner's closure visits); past
        ``MAX_ROUNDS`` levels, everything still reachable is asked at once."""
        assert self.res is not None
        parents = self.index.prerequisites.parents
        known: dict[str, float] = {}
        level = list(goals)
        served: dict[str, Any] = {}
        for rounds in range(1, len(parents) + 1):
            if rounds == MAX_ROUNDS:
                reachable = set().union(*(self.index.prerequisites.ancestors(s) for s in level))
                level = sorted((reachable | set(level)) - known.keys())
            reply = await self.res.score(learner_id, level, [])
            known.update({m.skill_id: m.mastery for m in reply.skills})
            served = {
                "source": "res",
                "degraded": list(reply.served.degraded),
                "kt": {"name": reply.served.kt.name, "version": reply.served.kt.version},
            }
            unmastered = [s for s in level if not self._mastered(s, known)]
            level = sorted({p for s in unmastered for p in parents.get(s, ()) if p not in known})
            if not level:
                break
        self._remember(learner_id, known, served)
        return known, served

    def _mastered(self, skill: str, mastery: dict[str, float]) -> bool:
        pos = self.index.skill_pos[skill]
        value = mastery.get(skill, self.estimator.model.prior[pos])
        return bool(value >= self.estimator.model.threshold[pos])

    def _remember(self, learner_id: str, mastery: dict[str, float], served: dict[str, Any]) -> None:
        previous = self._cache.pop(learner_id, None)
        merged = {**(previous[1] if previous else {}), **mastery}
        self._cache[learner_id] = (time.monotonic(), merged, served)
        while len(self._cache) > CACHE_LEARNERS:
            self._cache.popitem(last=False)

    # ------------------------------------------------------------------ re-planning
    def apply_progress(self, event: ProgressUpdateEvent) -> int:
        """Re-plan the learner's stored paths that this update moves; how many were."""
        tolerance = self.settings.serving.replan_tolerance
        at = event.timestamp.timestamp()
        replanned = 0
        for stored in self.store.active_with_skill(event.learner_id, event.skill_id):
            previous, when = stored.assumed[event.skill_id]
            if when is not None and at <= when:
                continue  # an older estimate than the one the path holds
            if abs(event.mastery - previous) <= tolerance:
                continue
            assumed = {**stored.assumed, event.skill_id: [event.mastery, at]}
            mastery = {s: v[0] for s, v in assumed.items()}
            path = self.plan(stored.goals, mastery, stored.budget_minutes)
            cause = "ahead" if event.mastery > previous else "behind"
            if self.store.replan(
                stored,
                plan=plan_to_dict(path),
                assumed=assumed,
                cause=cause,
                skill_id=event.skill_id,
                mastery=event.mastery,
                previous=previous,
                event_id=str(event.event_id),
            ):
                REPLANS.labels(cause).inc()
                replanned += 1
                logger.info(
                    "re-planned path %s (%s on %s: %.2f -> %.2f)",
                    stored.path_id,
                    cause,
                    event.skill_id,
                    previous,
                    event.mastery,
                )
        return replanned
