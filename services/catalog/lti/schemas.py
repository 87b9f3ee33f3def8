"""LTI tool request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl


class PlatformCreate(BaseModel):
    """Register an LMS (values from its LTI 1.3 tool registration screen)."""

    model_config = ConfigDict(extra="forbid")

    issuer: str = Field(min_length=1, max_length=512)
    client_id: str = Field(min_length=1, max_length=255)
    deployment_ids: list[str] = Field(min_length=1, max_length=100)
    auth_login_url: HttpUrl
    auth_token_url: HttpUrl
    key_set_url: HttpUrl


class PlatformPublic(BaseModel):
    """A registered LMS."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    issuer: str
    client_id: str
    deployment_ids: list[str]
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    created_at: datetime


class PlatformsPublic(BaseModel):
    """Every registered LMS."""

    data: list[PlatformPublic]


class ToolConfiguration(BaseModel):
    """What an LMS administrator enters to register learnloop."""

    title: str
    login_url: str
    launch_url: str
    deep_linking_url: str
    jwks_url: str
    scopes: list[str]


class ScoreCreate(BaseModel):
    """A score to pass back to the LMS gradebook."""

    model_config = ConfigDict(extra="forbid")

    score_given: float = Field(ge=0, le=1_000_000)
    score_maximum: float = Field(gt=0, le=1_000_000)
    activity_progress: Literal["Initialized", "Started", "InProgress", "Submitted", "Completed"] = (
        "Completed"
    )
    grading_progress: Literal["FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"] = (
        "FullyGraded"
    )
    comment: str | None = Field(default=None, max_length=2000)


class ScorePublic(BaseModel):
    """A score as sent to the LMS."""

    id: str
    launch_id: str
    score_given: float
    score_maximum: float
    status_code: int
    sent_at: datetime
