"""PTS tables (``pts_*``) of the relational progress store (SQLite default, PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UTCDateTime, service_metadata, utcnow


class Base(DeclarativeBase):
    """Declarative base of the PTS tables."""

    metadata = service_metadata()


class LearnerState(Base):
    """A learner's knowledge-tracing state (model-specific JSON) with an optimistic version."""

    __tablename__ = "pts_learner_state"

    learner_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    model: Mapped[str] = mapped_column(String(128))
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Mastery(Base):
    """Current mastery of one skill by one learner."""

    __tablename__ = "pts_mastery"

    learner_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    skill_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    mastery: Mapped[float] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)
    model: Mapped[str] = mapped_column(String(128))
    last_event_id: Mapped[str] = mapped_column(String(36))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcessedEvent(Base):
    """A LearningEvent already applied (dedupe) and the updates it produced (re-emission)."""

    __tablename__ = "pts_processed_events"

    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    learner_id: Mapped[str] = mapped_column(String(128), index=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
