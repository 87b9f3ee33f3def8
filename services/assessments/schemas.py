"""AS request and response bodies. Item kinds are a discriminated union on ``kind``."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.assessments.mathexpr import ExpressionError, parse
from services.assessments.models import AttemptStatus, ItemKind

Prompt = Annotated[str, Field(min_length=1, max_length=20_000)]
Choice = Annotated[str, Field(min_length=1, max_length=2_000)]
Hint = Annotated[str, Field(min_length=1, max_length=5_000)]
Skill = Annotated[str, Field(min_length=1, max_length=255)]


class _ItemCommon(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: Prompt
    hints: list[Hint] = Field(default_factory=list, max_length=30)
    skills: list[Skill] = Field(default_factory=list, max_length=32)
    points: float = Field(default=1.0, gt=0, le=1000)
    content_ref: str | None = Field(
        default=None,
        max_length=128,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$",
        description="Catalog item (and step) this question comes from; the event object id.",
    )


class SingleChoiceItem(_ItemCommon):
    """Pick one option."""

    kind: Literal["single_choice"]
    choices: list[Choice] = Field(min_length=2, max_length=20)
    correct: int = Field(ge=0, description="Index of the right option.")

    @model_validator(mode="after")
    def _in_range(self) -> SingleChoiceItem:
        if self.correct >= len(self.choices):
            raise ValueError(f"correct must index choices (0..{len(self.choices) - 1})")
        return self


class MultipleChoiceItem(_ItemCommon):
    """Pick every right option."""

    kind: Literal["multiple_choice"]
    choices: list[Choice] = Field(min_length=2, max_length=20)
    correct: list[Annotated[int, Field(ge=0)]] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _in_range(self) -> MultipleChoiceItem:
        if any(i >= len(self.choices) for i in self.correct):
            raise ValueError(f"correct must index choices (0..{len(self.choices) - 1})")
        return self


class NumericItem(_ItemCommon):
    """A number within a tolerance."""

    kind: Literal["numeric"]
    value: float = Field(allow_inf_nan=False, ge=-1e15, le=1e15)
    tolerance: float = Field(default=0.0, ge=0, le=1e15, allow_inf_nan=False)


class ShortTextItem(_ItemCommon):
    """Text matched exactly (normalised spaces) or by a regular expression."""

    kind: Literal["short_text"]
    accepted: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=20
    )
    mode: Literal["exact", "regex"] = "exact"
    case_sensitive: bool = False

    @model_validator(mode="after")
    def _valid_patterns(self) -> ShortTextItem:
        if self.mode == "regex":
            for pattern in self.accepted:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(
                        f"accepted: invalid regular expression {pattern!r}: {exc}"
                    ) from None
        return self


class AlgebraicItem(_ItemCommon):
    """An expression or equation, graded by mathematical equivalence."""

    kind: Literal["algebraic"]
    accepted: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(
        min_length=1, max_length=20
    )

    @field_validator("accepted")
    @classmethod
    def _readable(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                parse(value)
            except ExpressionError as exc:
                raise ValueError(f"cannot read {value!r}: {exc}") from None
        return values


ItemCreate = Annotated[
    SingleChoiceItem | MultipleChoiceItem | NumericItem | ShortTextItem | AlgebraicItem,
    Field(discriminator="kind"),
]


class AssessmentBase(BaseModel):
    """Editable assessment fields."""

    title: str = Field(min_length=1, max_length=255)
    description: str = Field(default="", max_length=20_000)
    course_id: str | None = Field(default=None, max_length=64)
    time_limit_s: int | None = Field(default=None, ge=10, le=7 * 86_400)
    max_attempts: int | None = Field(default=None, ge=1, le=1000)
    published: bool = True


class AssessmentCreate(AssessmentBase):
    """A new assessment with its items."""

    model_config = ConfigDict(extra="forbid")

    items: list[ItemCreate] = Field(min_length=1, max_length=200)


class AssessmentUpdate(BaseModel):
    """Assessment changes (items are fixed once created)."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=20_000)
    time_limit_s: int | None = Field(default=None, ge=10, le=7 * 86_400)
    max_attempts: int | None = Field(default=None, ge=1, le=1000)
    published: bool | None = None


class FromCatalogCreate(BaseModel):
    """Build an assessment from catalog exercises (their steps become items)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=255)
    item_ids: list[
        Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
    ] = Field(min_length=1, max_length=50)
    time_limit_s: int | None = Field(default=None, ge=10, le=7 * 86_400)
    max_attempts: int | None = Field(default=None, ge=1, le=1000)


class ItemPublic(BaseModel):
    """An item as a learner sees it; ``answer`` is present for authors only."""

    id: str
    position: int
    kind: ItemKind
    prompt: str
    choices: list[str]
    skills: list[str]
    points: float
    hint_count: int
    content_ref: str | None
    answer: dict[str, Any] | None = None


class AssessmentPublic(AssessmentBase):
    """An assessment summary."""

    id: str
    item_count: int
    attribution: str | None
    created_at: datetime


class AssessmentDetail(AssessmentPublic):
    """An assessment with its items."""

    items: list[ItemPublic]


class AssessmentsPublic(BaseModel):
    """A page of assessments."""

    data: list[AssessmentPublic]
    count: int
    limit: int
    offset: int


class AnswerCreate(BaseModel):
    """A response to one item (choice index(es), number, text or expression)."""

    model_config = ConfigDict(extra="forbid")

    item_id: str = Field(min_length=1, max_length=36)
    response: str = Field(min_length=1, max_length=500)
    duration_s: float | None = Field(default=None, ge=0, le=86_400)


class AnswerResult(BaseModel):
    """How a response was graded; ``event_id`` is the LearningEvent it produced."""

    item_id: str
    correct: bool
    score: float
    hints_used: int
    event_id: str
    attempt_score: float
    attempt_max_score: float


class HintPublic(BaseModel):
    """The next hint of an item."""

    item_id: str
    index: int
    text: str
    remaining: int


class ResponsePublic(BaseModel):
    """A recorded response."""

    item_id: str
    response: str
    correct: bool
    score: float
    hints_used: int
    answered_at: datetime


class AttemptPublic(BaseModel):
    """An attempt."""

    id: str
    assessment_id: str
    learner_id: str
    status: AttemptStatus
    started_at: datetime
    deadline: datetime | None
    submitted_at: datetime | None
    score: float | None
    max_score: float


class AttemptDetail(AttemptPublic):
    """An attempt with its responses."""

    responses: list[ResponsePublic]


class AttemptsPublic(BaseModel):
    """A page of attempts."""

    data: list[AttemptPublic]
    count: int
    limit: int
    offset: int
