"""CCS data access (SQLAlchemy 2)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from services.catalog.models import (
    ContentImport,
    Course,
    CourseTerm,
    Item,
    ItemSkill,
    Lesson,
    Provider,
    TaxonomyTerm,
)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def get_course(session: Session, *, course_id: str) -> Course | None:
    """A course by id."""
    return session.get(Course, course_id)


def list_courses(
    session: Session,
    *,
    q: str | None,
    language: str | None,
    term: str | None,
    offset: int,
    limit: int,
) -> tuple[list[Course], int]:
    """Courses matching the filters (title/description search), by title."""
    query = select(Course)
    if q:
        pattern = _like(q)
        query = query.where(
            or_(
                Course.title.ilike(pattern, escape="\\"),
                Course.description.ilike(pattern, escape="\\"),
            )
        )
    if language:
        query = query.where(Course.language == language)
    if term:
        query = query.where(
            Course.id.in_(select(CourseTerm.course_id).where(CourseTerm.term_id == term))
        )
    return _page(session, query.order_by(Course.title, Course.id), offset, limit)


def _page(session: Session, query: Select[Any], offset: int, limit: int) -> tuple[list[Any], int]:
    count = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.scalars(query.offset(offset).limit(limit)).all()
    return list(rows), count


def list_lessons(session: Session, *, course_id: str) -> list[Lesson]:
    """Lessons of a course in order."""
    return list(
        session.scalars(
            select(Lesson).where(Lesson.course_id == course_id).order_by(Lesson.position)
        ).all()
    )


def get_lesson(session: Session, *, lesson_id: str) -> Lesson | None:
    """A lesson by id."""
    return session.get(Lesson, lesson_id)


def course_terms(session: Session, *, course_id: str) -> list[str]:
    """Taxonomy term ids of a course."""
    return list(
        session.scalars(select(CourseTerm.term_id).where(CourseTerm.course_id == course_id)).all()
    )


def count_items(session: Session, *, course_id: str) -> int:
    """Number of items in a course."""
    return session.scalar(select(func.count()).where(Item.course_id == course_id)) or 0


def get_item(session: Session, *, item_id: str) -> Item | None:
    """An item by id."""
    return session.get(Item, item_id)


def list_items(
    session: Session,
    *,
    q: str | None,
    course_id: str | None,
    lesson_id: str | None,
    kind: str | None,
    skill: str | None,
    offset: int,
    limit: int,
) -> tuple[list[Item], int]:
    """Items matching the filters, in course order."""
    query = select(Item)
    if q:
        pattern = _like(q)
        query = query.where(
            or_(Item.title.ilike(pattern, escape="\\"), Item.body.ilike(pattern, escape="\\"))
        )
    if course_id:
        query = query.where(Item.course_id == course_id)
    if lesson_id:
        query = query.where(Item.lesson_id == lesson_id)
    if kind:
        query = query.where(Item.kind == kind)
    if skill:
        query = query.where(Item.id.in_(select(ItemSkill.item_id).where(ItemSkill.skill == skill)))
    query = query.order_by(Item.course_id, Item.lesson_id, Item.position, Item.id)
    return _page(session, query, offset, limit)


def skills_of(session: Session, *, item_ids: Sequence[str]) -> dict[str, list[str]]:
    """Skill tags per item id."""
    tags: dict[str, list[str]] = defaultdict(list)
    if item_ids:
        rows = session.execute(
            select(ItemSkill.item_id, ItemSkill.skill)
            .where(ItemSkill.item_id.in_(list(item_ids)))
            .order_by(ItemSkill.item_id, ItemSkill.skill)
        )
        for item_id, skill in rows:
            tags[item_id].append(skill)
    return tags


def set_item_skills(session: Session, *, item_id: str, skills: Iterable[str]) -> None:
    """Replace an item's skill tags."""
    session.execute(delete(ItemSkill).where(ItemSkill.item_id == item_id))
    rows = [{"item_id": item_id, "skill": s} for s in dict.fromkeys(skills)]
    if rows:
        session.execute(insert(ItemSkill), rows)


def list_skills(
    session: Session, *, q: str | None, offset: int, limit: int
) -> tuple[list[tuple[str, int]], int]:
    """Skills with their item counts, by name."""
    query = select(ItemSkill.skill, func.count(ItemSkill.item_id)).group_by(ItemSkill.skill)
    if q:
        query = query.where(ItemSkill.skill.ilike(_like(q), escape="\\"))
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(ItemSkill.skill).offset(offset).limit(limit)).all()
    return [(str(skill), int(n)) for skill, n in rows], count


def list_terms(session: Session) -> list[tuple[TaxonomyTerm, int]]:
    """Every taxonomy term with its course count."""
    counts = dict(
        session.execute(
            select(CourseTerm.term_id, func.count(CourseTerm.course_id)).group_by(
                CourseTerm.term_id
            )
        ).all()
    )
    terms = session.scalars(select(TaxonomyTerm).order_by(TaxonomyTerm.id)).all()
    return [(term, int(counts.get(term.id, 0))) for term in terms]


def ensure_term(session: Session, *, term_id: str, name: str, parent_id: str | None) -> None:
    """Create a taxonomy term if missing."""
    if session.get(TaxonomyTerm, term_id) is None:
        session.add(TaxonomyTerm(id=term_id, name=name, parent_id=parent_id))
        session.flush()


def tag_course(session: Session, *, course_id: str, term_id: str) -> None:
    """Attach a term to a course (idempotent)."""
    if session.get(CourseTerm, (course_id, term_id)) is None:
        session.add(CourseTerm(course_id=course_id, term_id=term_id))


def find_import(session: Session, *, source: str, checksum: str) -> ContentImport | None:
    """A finished import of ``source`` with ``checksum``."""
    return session.scalar(
        select(ContentImport).where(
            ContentImport.source == source, ContentImport.checksum == checksum
        )
    )


def existing_refs(session: Session, model: Any, *, source: str) -> dict[str, str]:
    """source_ref → id of the rows of ``model`` from ``source``."""
    rows = session.execute(select(model.source_ref, model.id).where(model.source == source))
    return {str(ref): str(row_id) for ref, row_id in rows}


def get_provider(session: Session, *, name: str) -> Provider | None:
    """A content provider by name."""
    return session.get(Provider, name)


def list_providers(session: Session) -> list[Provider]:
    """Every content provider."""
    return list(session.scalars(select(Provider).order_by(Provider.name)).all())
