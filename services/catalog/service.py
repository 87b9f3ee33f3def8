"""CCS domain logic: courses and items, their public views, skills and taxonomy."""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

from sqlalchemy.orm import Session

from features.datasets.content_pack import ATTRIBUTION
from services.catalog import repository
from services.catalog.models import Course, Item, ItemKind
from services.catalog.schemas import (
    CourseCreate,
    CourseDetail,
    CoursePublic,
    CourseUpdate,
    ItemCreate,
    ItemPublic,
    ItemUpdate,
    LessonPublic,
    Objective,
)
from services.common.db import utcnow
from services.common.errors import InvalidInputError, NotFoundError

ANSWER_FIELDS = ("correct_answers", "answer_latex", "scaffolds", "hints", "hint_sources")


def slugify(text: str, *, max_length: int = 48) -> str:
    """``OpenStax: College Algebra`` → ``openstax-college-algebra``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "course"


def public_content(item: Item, *, with_answers: bool) -> dict[str, Any]:
    """An item's content for the caller: answers, hints and scaffolds only for authors.

    Learners get hints step by step from the assessment service instead.
    """
    content = dict(item.content or {})
    if with_answers or "steps" not in content:
        return content
    steps = []
    for step in content["steps"]:
        public = {k: v for k, v in step.items() if k not in ANSWER_FIELDS}
        public["hint_count"] = len(step.get("hints", []))
        steps.append(public)
    content["steps"] = steps
    return content


def item_public(item: Item, skills: list[str], *, with_answers: bool = False) -> ItemPublic:
    """The API view of an item."""
    return ItemPublic(
        id=item.id,
        course_id=item.course_id,
        lesson_id=item.lesson_id,
        position=item.position,
        kind=ItemKind(item.kind),
        title=item.title,
        body=item.body,
        url=item.url,
        language=item.language,
        skills=skills,
        content=public_content(item, with_answers=with_answers),
        source=item.source,
        license=item.license,
        attribution=item.attribution,
    )


def items_public(
    session: Session, items: list[Item], *, with_answers: bool = False
) -> list[ItemPublic]:
    """API views of several items (one query for their skills)."""
    skills = repository.skills_of(session, item_ids=[i.id for i in items])
    return [item_public(i, skills.get(i.id, []), with_answers=with_answers) for i in items]


def page_attribution(items: list[ItemPublic]) -> str | None:
    """The credit line that must accompany shown content (CC BY 4.0)."""
    return ATTRIBUTION if any(i.source == "oatutor" for i in items) else None


def get_course_or_404(session: Session, *, course_id: str) -> Course:
    """A course or 404."""
    course = repository.get_course(session, course_id=course_id)
    if course is None:
        raise NotFoundError(f"course {course_id} not found")
    return course


def course_detail(session: Session, *, course: Course) -> CourseDetail:
    """A course with lessons, terms and item count."""
    lessons = [
        LessonPublic(
            id=lesson.id,
            position=lesson.position,
            title=lesson.title,
            objectives=[Objective.model_validate(o) for o in lesson.objectives],
        )
        for lesson in repository.list_lessons(session, course_id=course.id)
    ]
    return CourseDetail(
        **CoursePublic.model_validate(course).model_dump(),
        lessons=lessons,
        terms=repository.course_terms(session, course_id=course.id),
        item_count=repository.count_items(session, course_id=course.id),
    )


def unique_course_id(session: Session, title: str) -> str:
    """A readable course id derived from the title, suffixed when taken."""
    base = slugify(title)
    candidate = base
    while repository.get_course(session, course_id=candidate) is not None:
        candidate = f"{base}-{uuid.uuid4().hex[:6]}"
    return candidate


def create_course(session: Session, *, data: CourseCreate, author: str | None) -> Course:
    """A new course (manual source)."""
    course_id = unique_course_id(session, data.title)
    course = Course(
        id=course_id,
        title=data.title,
        description=data.description,
        language=data.language,
        source="manual",
        source_ref=course_id,
        license=data.license,
        attribution=data.attribution,
        created_by=author,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(course)
    session.flush()
    for term in data.terms:
        repository.ensure_term(session, term_id=term, name=term, parent_id=None)
        repository.tag_course(session, course_id=course_id, term_id=term)
    return course


def update_course(session: Session, *, course: Course, data: CourseUpdate) -> Course:
    """Apply course changes."""
    for name, value in data.model_dump(exclude_unset=True).items():
        if value is None and name in {"title", "language"}:
            raise InvalidInputError(f"{name} cannot be null", field=name)
        setattr(course, name, value)
    course.updated_at = utcnow()
    return course


def get_item_or_404(session: Session, *, item_id: str) -> Item:
    """An item or 404."""
    item = repository.get_item(session, item_id=item_id)
    if item is None:
        raise NotFoundError(f"item {item_id} not found")
    return item


def _check_placement(session: Session, course_id: str | None, lesson_id: str | None) -> None:
    if course_id is not None and repository.get_course(session, course_id=course_id) is None:
        raise InvalidInputError(f"course {course_id} does not exist", field="course_id")
    if lesson_id is not None:
        lesson = repository.get_lesson(session, lesson_id=lesson_id)
        if lesson is None or lesson.course_id != course_id:
            raise InvalidInputError(
                f"lesson {lesson_id} is not a lesson of course {course_id}", field="lesson_id"
            )


def create_item(session: Session, *, data: ItemCreate, author: str | None) -> Item:
    """A new item (manual source)."""
    _check_placement(session, data.course_id, data.lesson_id)
    if data.kind in {ItemKind.VIDEO, ItemKind.EXTERNAL} and data.url is None:
        raise InvalidInputError(f"a {data.kind.value} item needs a url", field="url")
    item_id = f"item-{uuid.uuid4().hex[:16]}"
    item = Item(
        id=item_id,
        course_id=data.course_id,
        lesson_id=data.lesson_id,
        position=data.position,
        kind=data.kind.value,
        title=data.title,
        body=data.body,
        url=str(data.url) if data.url else None,
        content=data.content,
        language=data.language,
        source="manual",
        source_ref=item_id,
        license=data.license,
        attribution=data.attribution,
        created_by=author,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    session.add(item)
    session.flush()
    repository.set_item_skills(session, item_id=item_id, skills=data.skills)
    return item


def update_item(session: Session, *, item: Item, data: ItemUpdate) -> Item:
    """Apply item changes."""
    changes = data.model_dump(exclude_unset=True)
    skills = changes.pop("skills", None)
    for name, value in changes.items():
        if value is None and name in {"title", "body", "position", "content"}:
            raise InvalidInputError(f"{name} cannot be null", field=name)
        setattr(item, name, str(value) if name == "url" and value is not None else value)
    if skills is not None:
        repository.set_item_skills(session, item_id=item.id, skills=skills)
    item.updated_at = utcnow()
    return item
