"""LPS request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from features.events import Identifier, SkillId
from serving.lps.store import StoredPath


class PathRequest(BaseModel):
    """Plan a path for a learner to goal skills, or to everything a course teaches."""

    model_config = ConfigDict(extra="forbid")

    learner_id: Identifier
    goal_skills: list[SkillId] = Field(default_factory=list, max_length=100)
    course_id: str | None = Field(default=None, min_length=1, max_length=64)
    budget_minutes: float | None = Field(default=None, gt=0, le=100_000)


class Step(BaseModel):
    """Practise ``skill`` with ``items`` from ``start_mastery`` to ``target_mastery``."""

    skill: str
    items: list[str]
    start_mastery: float
    target_mastery: float
    expected_gain: float
    minutes: float
    reasons: list[dict[str, Any]]


class Replan(BaseModel):
    """One re-plan: which update moved the path and how."""

    version: int
    cause: str
    skill_id: str
    mastery: float
    previous: float
    event_id: str | None
    at: str


class PathResponse(BaseModel):
    """A stored learning path (its latest version)."""

    path_id: str
    learner_id: str
    version: int
    goals: list[str]
    budget_minutes: float | None
    steps: list[Step]
    total_minutes: float
    reached_goals: list[str]
    unreached_goals: list[str]
    already_mastered: list[str]
    assumed_mastered: list[str] = Field(
        default_factory=list,
        description="Goals and prerequisites skipped as mastered when the path was planned.",
    )
    served: dict[str, Any] = Field(
        description="source: res | cached | prior; degraded: fallback reasons; kt: the model."
    )
    degraded: bool
    replans: list[Replan]
    created_at: datetime
    updated_at: datetime


class PathList(BaseModel):
    """A learner's paths, newest first."""

    data: list[PathResponse]


def path_response(stored: StoredPath) -> PathResponse:
    """The response form of a stored path."""
    plan = stored.plan
    return PathResponse(
        path_id=stored.path_id,
        learner_id=stored.learner_id,
        version=stored.version,
        goals=stored.goals,
        budget_minutes=stored.budget_minutes,
        steps=[Step(**s) for s in plan["steps"]],
        total_minutes=plan["total_minutes"],
        reached_goals=plan["reached_goals"],
        unreached_goals=plan["unreached_goals"],
        already_mastered=plan["already_mastered"],
        assumed_mastered=plan.get("assumed_mastered", []),
        served=stored.served,
        degraded=bool(stored.served.get("degraded")),
        replans=[Replan(**r) for r in stored.replans],
        created_at=stored.created_at,
        updated_at=stored.updated_at,
    )
