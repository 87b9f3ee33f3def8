"""RES request and response bodies (HTTP; gRPC requests are validated through the same models)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_json

from features.events import Identifier, SkillId
from serving.res.engine import Query
from serving.res.runtime import Recommendations, Served

ContentType = Literal["exercise", "video", "text", "external", "scorm"]
CourseId = Field(default=None, min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")


class RecommendationRequest(BaseModel):
    """What to recommend: for whom, how many, within which filters."""

    model_config = ConfigDict(extra="forbid")

    learner_id: Identifier
    k: int = Field(default=10, ge=1, le=1000, description="How many items (at most serving.max_k).")
    course_id: str | None = CourseId
    content_types: list[ContentType] = Field(default_factory=list, max_length=5)
    skills: list[SkillId] = Field(default_factory=list, max_length=50)
    history: list[Identifier] = Field(
        default_factory=list, max_length=200, description="Recent item ids, oldest first."
    )
    exclude_seen: bool = Field(default=True, description="Do not repeat items in `history`.")
    platform: str | None = Field(default=None, max_length=64, description="Experiment targeting.")

    def query(self) -> Query:
        return Query(
            learner_id=self.learner_id,
            k=self.k,
            course_id=self.course_id,
            content_types=tuple(self.content_types),
            skills=tuple(self.skills),
            history=tuple(self.history),
            exclude_seen=self.exclude_seen,
        )


class ModelInfo(BaseModel):
    """A served model version."""

    name: str
    version: str


class Exposure(BaseModel):
    """Put this in the context of the events about served items (A/B analysis, OPE)."""

    experiments: dict[str, str]
    propensity: float


class RecommendedItem(BaseModel):
    """One item with its score, predicted success and reasons."""

    item_id: str
    score: float
    p_correct: float
    skills: list[str]
    reasons: list[dict[str, Any]]


class ServedInfo(BaseModel):
    """Which models answered, for which experiment arm, and whether fallbacks were used."""

    kt: ModelInfo
    rec: ModelInfo | None
    arm: str
    degraded: bool
    degraded_reasons: list[str]
    cold_start: bool


class RecommendationResponse(BaseModel):
    """Recommendations, best first."""

    learner_id: str
    items: list[RecommendedItem]
    served: ServedInfo
    exposure: Exposure


def served_info(served: Served) -> dict[str, Any]:
    """The response form of runtime metadata (:class:`ServedInfo` fields)."""
    return {
        "kt": {"name": served.kt.name, "version": served.kt.version},
        "rec": {"name": served.rec.name, "version": served.rec.version} if served.rec else None,
        "arm": served.arm,
        "degraded": bool(served.degraded),
        "degraded_reasons": served.degraded,
        "cold_start": served.cold_start,
    }


def recommendation_json(learner_id: str, result: Recommendations) -> bytes:
    """The HTTP body of a runtime answer: a :class:`RecommendationResponse` as JSON, built as
    plain data and encoded once (no model instances per item on the hot path)."""
    return to_json(
        {
            "learner_id": learner_id,
            "items": [
                {
                    "item_id": r.item_id,
                    "score": r.score,
                    "p_correct": r.p_correct,
                    "skills": r.skills,
                    "reasons": r.reasons,
                }
                for r in result.items
            ],
            "served": served_info(result.served),
            "exposure": {
                "experiments": result.served.experiments,
                "propensity": result.propensity,
            },
        }
    )
