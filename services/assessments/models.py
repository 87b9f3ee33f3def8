"""AS tables (``as_*``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UTCDateTime, service_metadata, utcnow
from services.common.outbox import OutboxMixin


class Base(DeclarativeBase):
    """Declarative base of the AS tables."""

    metadata = service_metadata()


class ItemKind(StrEnum):
    """How an item is answered and graded."""

    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    NUMERIC = "numeric"
    SHORT_TEXT = "short_text"
    ALGEBRAIC = "algebraic"


class AttemptStatus(StrEnum):
    """Life cycle of an attempt."""

    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    EXPIRED = "expired"


class Assessment(Base):
    """A set of items with attempt rules."""

    __tablename__ = "as_assessments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    course_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    time_limit_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_attempts: Mapped[int | None] = mapped_column(Integer, nullable=True)
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    attribution: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AssessmentItem(Base):
    """One question: prompt, choices, answer key, hints, skills."""

    __tablename__ = "as_items"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    assessment_id: Mapped[str] = mapped_column(
        ForeignKey("as_assessments.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    prompt: Mapped[str] = mapped_column(Text)
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)
    hints: Mapped[list[str]] = mapped_column(JSON, default=list)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    points: Mapped[float] = mapped_column(Float, default=1.0)
    content_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)


class Attempt(Base):
    """A learner's attempt at an assessment."""

    __tablename__ = "as_attempts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    assessment_id: Mapped[str] = mapped_column(
        ForeignKey("as_assessments.id", ondelete="CASCADE"), index=True
    )
    learner_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default=AttemptStatus.IN_PROGRESS.value)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_score: Mapped[float] = mapped_column(Float, default=0.0)


class Response(Base):
    """One answer to one item (each answer is also a LearningEvent with ``event_id``)."""

    __tablename__ = "as_responses"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    attempt_id: Mapped[str] = mapped_column(
        ForeignKey("as_attempts.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[str] = mapped_column(ForeignKey("as_items.id", ondelete="CASCADE"))
    response: Mapped[str] = mapped_column(Text)
    correct: Mapped[bool] = mapped_column(Boolean)
    score: Mapped[float] = mapped_column(Float)
    hints_used: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)


class HintUsage(Base):
    """How many hints of an item a learner has seen in an attempt."""

    __tablename__ = "as_hint_usage"

    attempt_id: Mapped[str] = mapped_column(
        ForeignKey("as_attempts.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(
        ForeignKey("as_items.id", ondelete="CASCADE"), primary_key=True
    )
    shown: Mapped[int] = mapped_column(Integer, default=0)


class Outbox(OutboxMixin, Base):
    """LearningEvents waiting to be relayed to Kafka."""

    __tablename__ = "as_outbox"
