"""CCS tables (``ccs_*``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import UTCDateTime, service_metadata, utcnow


class Base(DeclarativeBase):
    """Declarative base of the CCS tables."""

    metadata = service_metadata()


class ItemKind(StrEnum):
    """What a content item is."""

    VIDEO = "video"
    TEXT = "text"
    EXERCISE = "exercise"
    EXTERNAL = "external"
    SCORM = "scorm"


class Course(Base):
    """A course: ordered lessons of items."""

    __tablename__ = "ccs_courses"
    __table_args__ = (UniqueConstraint("source", "source_ref"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(255), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    source: Mapped[str] = mapped_column(String(64), default="manual")
    source_ref: Mapped[str] = mapped_column(String(255))
    license: Mapped[str | None] = mapped_column(String(255), nullable=True)
    attribution: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Lesson(Base):
    """An ordered unit of a course with its learning objectives (skill, mastery threshold)."""

    __tablename__ = "ccs_lessons"
    __table_args__ = (UniqueConstraint("course_id", "source_ref"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    course_id: Mapped[str] = mapped_column(
        ForeignKey("ccs_courses.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(255))
    source_ref: Mapped[str] = mapped_column(String(255))
    objectives: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class Item(Base):
    """A content item (video, text, exercise, external link, SCORM SCO)."""

    __tablename__ = "ccs_items"
    __table_args__ = (
        UniqueConstraint("source", "source_ref"),
        Index("ix_ccs_items_course_position", "course_id", "lesson_id", "position"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    course_id: Mapped[str | None] = mapped_column(
        ForeignKey("ccs_courses.id", ondelete="CASCADE"), nullable=True
    )
    lesson_id: Mapped[str | None] = mapped_column(
        ForeignKey("ccs_lessons.id", ondelete="SET NULL"), nullable=True, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    title: Mapped[str] = mapped_column(String(512), index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    language: Mapped[str] = mapped_column(String(16), default="en")
    source: Mapped[str] = mapped_column(String(64), default="manual")
    source_ref: Mapped[str] = mapped_column(String(255))
    license: Mapped[str | None] = mapped_column(String(255), nullable=True)
    attribution: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ItemSkill(Base):
    """Skill tag of an item (feeds the knowledge graph)."""

    __tablename__ = "ccs_item_skills"

    item_id: Mapped[str] = mapped_column(
        ForeignKey("ccs_items.id", ondelete="CASCADE"), primary_key=True
    )
    skill: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)


class TaxonomyTerm(Base):
    """A node of the subject taxonomy (domain → book/course)."""

    __tablename__ = "ccs_taxonomy_terms"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("ccs_taxonomy_terms.id", ondelete="CASCADE"), nullable=True, index=True
    )


class CourseTerm(Base):
    """Taxonomy term of a course."""

    __tablename__ = "ccs_course_terms"

    course_id: Mapped[str] = mapped_column(
        ForeignKey("ccs_courses.id", ondelete="CASCADE"), primary_key=True
    )
    term_id: Mapped[str] = mapped_column(
        ForeignKey("ccs_taxonomy_terms.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ContentImport(Base):
    """A finished import (content pack, provider sync): what makes re-imports idempotent."""

    __tablename__ = "ccs_imports"
    __table_args__ = (UniqueConstraint("source", "checksum"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    checksum: Mapped[str] = mapped_column(String(64))
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScormPackage(Base):
    """An imported SCORM package; its files live in the object store under ``asset_prefix``."""

    __tablename__ = "ccs_scorm_packages"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    course_id: Mapped[str] = mapped_column(ForeignKey("ccs_courses.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(16))
    identifier: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(512))
    asset_prefix: Mapped[str] = mapped_column(String(255))
    file_count: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Provider(Base):
    """A third-party content feed (adapter kind + location)."""

    __tablename__ = "ccs_providers"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(String(2048))
    course_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LtiPlatform(Base):
    """An LMS registered with learnloop's LTI 1.3 tool."""

    __tablename__ = "ccs_lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(512))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    auth_login_url: Mapped[str] = mapped_column(String(2048))
    auth_token_url: Mapped[str] = mapped_column(String(2048))
    key_set_url: Mapped[str] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LtiState(Base):
    """OIDC login state and nonce of one launch attempt (single use, short-lived)."""

    __tablename__ = "ccs_lti_states"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("ccs_lti_platforms.id", ondelete="CASCADE"))
    target_link_uri: Mapped[str] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LtiLaunch(Base):
    """A validated launch: who, from where, and the grade-passback endpoint."""

    __tablename__ = "ccs_lti_launches"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("ccs_lti_platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    message_type: Mapped[str] = mapped_column(String(64))
    learner_id: Mapped[str] = mapped_column(String(64), index=True)
    platform_user: Mapped[str | None] = mapped_column(String(255), nullable=True)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    resource_link_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    context_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    item_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lineitem_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    ags_scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    deep_link_return_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    deep_link_data: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LtiScore(Base):
    """A score sent back to the platform (Assignment and Grade Services)."""

    __tablename__ = "ccs_lti_scores"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    launch_id: Mapped[str] = mapped_column(
        ForeignKey("ccs_lti_launches.id", ondelete="CASCADE"), index=True
    )
    score_given: Mapped[float] = mapped_column(Float)
    score_maximum: Mapped[float] = mapped_column(Float)
    status_code: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
