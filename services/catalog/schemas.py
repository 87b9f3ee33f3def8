"""CCS request and response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from services.catalog.models import ItemKind

SkillName = Field(min_length=1, max_length=255)


class Page(BaseModel):
    """Paging of a list answer."""

    count: int = Field(description="Total matches.")
    limit: int
    offset: int


class CourseBase(BaseModel):
    """Editable course fields."""

    title: str = Field(min_length=1, max_length=255)
    description: str = Field(default="", max_length=20_000)
    language: str = Field(default="en", min_length=2, max_length=16)


class CourseCreate(CourseBase):
    """A new course."""

    model_config = ConfigDict(extra="forbid")

    license: str | None = Field(default=None, max_length=255)
    attribution: str | None = Field(default=None, max_length=4000)
    terms: list[str] = Field(default_factory=list, max_length=20)


class CourseUpdate(BaseModel):
    """Course changes."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=20_000)
    language: str | None = Field(default=None, min_length=2, max_length=16)
    license: str | None = Field(default=None, max_length=255)
    attribution: str | None = Field(default=None, max_length=4000)


class CoursePublic(CourseBase):
    """A course."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    source: str
    license: str | None
    attribution: str | None
    created_at: datetime
    updated_at: datetime


class CoursesPublic(Page):
    """A page of courses."""

    data: list[CoursePublic]


class Objective(BaseModel):
    """A skill a lesson teaches, with the mastery needed to pass it."""

    skill: str
    mastery_threshold: float = Field(ge=0, le=1)


class LessonPublic(BaseModel):
    """A lesson of a course."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    position: int
    title: str
    objectives: list[Objective]


class CourseDetail(CoursePublic):
    """A course with its lessons and taxonomy terms."""

    lessons: list[LessonPublic]
    terms: list[str]
    item_count: int


class ItemBase(BaseModel):
    """Editable item fields."""

    title: str = Field(min_length=1, max_length=512)
    body: str = Field(default="", max_length=100_000)
    kind: ItemKind
    url: AnyHttpUrl | None = None
    language: str = Field(default="en", min_length=2, max_length=16)


class ItemCreate(ItemBase):
    """A new item."""

    model_config = ConfigDict(extra="forbid")

    course_id: str | None = Field(default=None, max_length=64)
    lesson_id: str | None = Field(default=None, max_length=64)
    position: int = Field(default=0, ge=0, le=1_000_000)
    skills: list[str] = Field(default_factory=list, max_length=64)
    content: dict[str, Any] = Field(default_factory=dict)
    license: str | None = Field(default=None, max_length=255)
    attribution: str | None = Field(default=None, max_length=4000)


class ItemUpdate(BaseModel):
    """Item changes."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=512)
    body: str | None = Field(default=None, max_length=100_000)
    url: AnyHttpUrl | None = None
    position: int | None = Field(default=None, ge=0, le=1_000_000)
    skills: list[str] | None = Field(default=None, max_length=64)
    content: dict[str, Any] | None = None


class ItemPublic(ItemBase):
    """A content item. ``content`` of exercises holds steps; answers only for authors."""

    id: str
    course_id: str | None
    lesson_id: str | None
    position: int
    url: str | None = None  # type: ignore[assignment]
    skills: list[str]
    content: dict[str, Any]
    source: str
    license: str | None
    attribution: str | None


class ItemsPublic(Page):
    """A page of items and the attribution that applies to the content shown."""

    data: list[ItemPublic]
    attribution: str | None = None


class SkillPublic(BaseModel):
    """A skill tag and how many items carry it."""

    skill: str
    item_count: int


class SkillsPublic(Page):
    """A page of skills."""

    data: list[SkillPublic]


class TermPublic(BaseModel):
    """A taxonomy node."""

    id: str
    name: str
    parent_id: str | None
    course_count: int


class TaxonomyPublic(BaseModel):
    """The whole taxonomy (it is small)."""

    data: list[TermPublic]


class ImportReport(BaseModel):
    """What an import created or updated (``skipped`` when already imported)."""

    source: str
    checksum: str
    skipped: bool
    courses: int = 0
    lessons: int = 0
    items: int = 0
    skills: int = 0
    seconds: float = 0.0


class ScormImportPublic(BaseModel):
    """An imported SCORM package."""

    package_id: str
    version: Literal["1.2", "2004"]
    course: CoursePublic
    items: list[ItemPublic]
    file_count: int


class ProviderCreate(BaseModel):
    """A content feed to import from."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    kind: Literal["rss"] = "rss"
    url: str = Field(min_length=1, max_length=2048, description="http(s) URL of the feed.")


class ProviderPublic(BaseModel):
    """A registered content feed."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    kind: str
    url: str
    course_id: str | None
    last_synced_at: datetime | None


class ProvidersPublic(BaseModel):
    """Every registered feed."""

    data: list[ProviderPublic]


class SyncResult(BaseModel):
    """What a provider sync did."""

    provider: str
    course_id: str
    created: int
    updated: int


class Attribution(BaseModel):
    """Licenses and credits of the shipped content."""

    content_pack: str
    license: str
