"""Canonical events: ``LearningEvent`` and ``ProgressUpdateEvent``.

A ``LearningEvent`` is one thing a learner did (xAPI-aligned ``verb`` on an ``object``), with an
``event_id`` that is the idempotency key of every consumer. A ``ProgressUpdateEvent`` is the
platform's new estimate of a learner's mastery of one skill and the event that caused it.

Parsing goes through :func:`parse_learning_event` / :func:`parse_progress_event`, which raise
:class:`EventValidationError` listing every bad field with its dotted path and the reason
(``learner_id: field required``, ``verb: unknown verb 'jumped'; allowed: viewed, ...``).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

SCHEMA_VERSION: Literal["1.0"] = "1.0"
ModelT = TypeVar("ModelT", bound=BaseModel)

Identifier = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$",
        description="Opaque id: letters, digits and . _ : / - (no spaces, no e-mail addresses).",
    ),
]
SkillId = Annotated[str, Field(min_length=1, max_length=256)]


class Verb(StrEnum):
    """What the learner did. Each verb maps to an xAPI verb IRI (see :data:`XAPI_VERB_IRIS`)."""

    VIEWED = "viewed"
    STARTED = "started"
    ATTEMPTED = "attempted"
    ANSWERED = "answered"
    HINT_REQUESTED = "hint_requested"
    SKIPPED = "skipped"
    COMPLETED = "completed"
    PASSED = "passed"
    FAILED = "failed"
    PROGRESSED = "progressed"
    MASTERED = "mastered"


class ObjectType(StrEnum):
    """Kind of thing acted upon."""

    PROBLEM = "problem"
    STEP = "step"
    EXERCISE = "exercise"
    ASSESSMENT = "assessment"
    VIDEO = "video"
    TEXT = "text"
    LESSON = "lesson"
    COURSE = "course"
    EXTERNAL = "external"


XAPI_VERB_IRIS: dict[Verb, str] = {
    Verb.VIEWED: "http://id.tincanapi.com/verb/viewed",
    Verb.STARTED: "http://adlnet.gov/expapi/verbs/launched",
    Verb.ATTEMPTED: "http://adlnet.gov/expapi/verbs/attempted",
    Verb.ANSWERED: "http://adlnet.gov/expapi/verbs/answered",
    Verb.HINT_REQUESTED: "http://adlnet.gov/expapi/verbs/asked",
    Verb.SKIPPED: "http://id.tincanapi.com/verb/skipped",
    Verb.COMPLETED: "http://adlnet.gov/expapi/verbs/completed",
    Verb.PASSED: "http://adlnet.gov/expapi/verbs/passed",
    Verb.FAILED: "http://adlnet.gov/expapi/verbs/failed",
    Verb.PROGRESSED: "http://adlnet.gov/expapi/verbs/progressed",
    Verb.MASTERED: "http://adlnet.gov/expapi/verbs/mastered",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class EventObject(_Strict):
    """The content the learner acted on."""

    id: Identifier
    type: ObjectType = ObjectType.PROBLEM
    course_id: str | None = Field(default=None, max_length=256)


def catalog_item_of(object_id: str) -> str:
    """The catalog item an object id stands for: a step ``<item>/<step>`` counts for its item."""
    return object_id.split("/", 1)[0]


class EventResult(_Strict):
    """Outcome of an attempt; every field optional (a ``viewed`` event has no result)."""

    correct: bool | None = None
    score: float | None = Field(default=None, ge=0.0, le=1.0, description="Scaled score in [0, 1].")
    duration_s: float | None = Field(default=None, ge=0.0, description="Time on task, seconds.")
    response: str | None = Field(default=None, max_length=4000)
    hints_used: int | None = Field(default=None, ge=0)


class EventContext(_Strict):
    """Where and under which experiment assignments the event happened."""

    session_id: str | None = Field(default=None, max_length=128)
    platform: str | None = Field(default=None, max_length=64)
    source: str | None = Field(default=None, max_length=64, description="Dataset or producer.")
    experiments: dict[str, str] = Field(
        default_factory=dict, description="experiment id -> variant served to this learner."
    )
    propensity: float | None = Field(
        default=None, gt=0.0, le=1.0, description="Probability the serving policy chose object."
    )
    timestamp_synthetic: bool = Field(
        default=False, description="True when the source had only an order, not real times."
    )


def _allowed(enum: type[StrEnum]) -> str:
    return ", ".join(member.value for member in enum)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class LearningEvent(_Strict):
    """One learner interaction; ``event_id`` is the idempotency key."""

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    learner_id: Identifier
    timestamp: datetime = Field(description="When it happened; naive times are taken as UTC.")
    verb: Verb
    object: EventObject
    skill_ids: list[SkillId] = Field(default_factory=list, max_length=64)
    result: EventResult | None = None
    context: EventContext = Field(default_factory=EventContext)
    schema_version: Literal["1.0"] = SCHEMA_VERSION

    @field_validator("verb", mode="before")
    @classmethod
    def _known_verb(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in Verb._value2member_map_:
            raise ValueError(f"unknown verb {value!r}; allowed: {_allowed(Verb)}")
        return value

    @field_validator("timestamp")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return _utc(value)

    @property
    def correct(self) -> bool | None:
        """Shortcut to ``result.correct``."""
        return self.result.correct if self.result else None


class ProgressUpdateEvent(_Strict):
    """New mastery estimate for one (learner, skill), caused by one learning event."""

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    learner_id: Identifier
    skill_id: SkillId
    mastery: float = Field(ge=0.0, le=1.0)
    previous_mastery: float | None = Field(default=None, ge=0.0, le=1.0)
    model_name: str = Field(min_length=1, max_length=128)
    model_version: str = Field(min_length=1, max_length=64)
    cause_event_id: uuid.UUID
    timestamp: datetime
    schema_version: Literal["1.0"] = SCHEMA_VERSION

    @field_validator("timestamp")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return _utc(value)


class FieldError(BaseModel):
    """One problem with one field of an input record."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class EventValidationError(ValueError):
    """An event failed validation; ``errors`` names every bad field and why."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Turn a pydantic ``ValidationError`` into readable per-field errors."""
    out = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or "(root)"
        reason = err["msg"]
        if err["type"] == "missing":
            reason = "field required"
        elif err["type"] == "extra_forbidden":
            reason = "unknown field"
        elif err["type"] == "enum" and err["loc"][-1:] == ("type",):
            reason = f"unknown object type {err['input']!r}; allowed: {_allowed(ObjectType)}"
        out.append(FieldError(field=path, reason=reason.removeprefix("Value error, ")))
    return out


def _parse(model: type[ModelT], data: Any) -> ModelT:
    try:
        if isinstance(data, str | bytes):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as exc:
        raise EventValidationError(field_errors(exc)) from None


def parse_learning_event(data: Any) -> LearningEvent:
    """Validate a dict or JSON document as a ``LearningEvent``."""
    return _parse(LearningEvent, data)


def parse_progress_event(data: Any) -> ProgressUpdateEvent:
    """Validate a dict or JSON document as a ``ProgressUpdateEvent``."""
    return _parse(ProgressUpdateEvent, data)


def json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schemas of the canonical events, keyed by file name."""
    return {
        "learning_event.schema.json": LearningEvent.model_json_schema(),
        "progress_update_event.schema.json": ProgressUpdateEvent.model_json_schema(),
    }


def dump_json_schema(schema: dict[str, Any]) -> str:
    """Stable textual form of a JSON Schema (what ``features/schemas`` holds)."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
