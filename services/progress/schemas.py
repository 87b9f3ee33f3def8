"""PTS response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class SkillMasteryPublic(BaseModel):
    """Mastery of one skill (probability the learner knows it)."""

    skill_id: str
    mastery: float = Field(ge=0, le=1)
    attempts: int
    correct: int
    model: str
    updated_at: datetime


class LearnerProgress(BaseModel):
    """Every skill a learner has practised.

    Eventually consistent: answers reach this view through the event stream, normally within
    a second; ``as_of`` is the newest update included.
    """

    learner_id: str
    skills: list[SkillMasteryPublic]
    as_of: datetime | None


class ModelInfo(BaseModel):
    """The KT model that updates mastery."""

    model_name: str
    model_version: str
    store: str
