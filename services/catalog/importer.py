"""Import the OATutor content pack into the catalog (idempotent; first start and CLI).

Courses become catalog courses (tagged with a subject and OpenStax book in the taxonomy),
lessons keep their learning objectives, each problem becomes an ``exercise`` item whose
content holds its steps (answers, hints, scaffolds) and whose skills are tagged. Re-importing
the same files is a no-op (checksum recorded in ``ccs_imports``); a changed pack updates rows in
place. Every item carries the CC BY 4.0 attribution. Items are committed in batches of
``BATCH`` (a long import does not hold the database), the import marker last.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from features.datasets.content_pack import ATTRIBUTION, ContentPack, skill_names
from services.catalog import repository
from services.catalog.models import ContentImport, Course, Item, ItemKind, ItemSkill, Lesson
from services.catalog.schemas import ImportReport
from services.catalog.service import slugify
from services.common.db import utcnow

SOURCE = "oatutor"
PACK_LICENSE = "CC BY 4.0"
LESSON_NAMESPACE = uuid.UUID("0f5b3c52-7d1e-4c59-9a55-3e4f29c1b0aa")
BATCH = 1000
SUBJECTS = (
    ("statistic", "statistics", "Statistics"),
    ("stats", "statistics", "Statistics"),
    ("physics", "physics", "Physics"),
    ("chemistry", "chemistry", "Chemistry"),
    ("data 8", "data-science", "Data science"),
)


def pack_checksum(root: Path) -> str:
    """SHA-256 over the pack's three files."""
    digest = hashlib.sha256()
    for name in ("courses.json", "skills.json", "problems.jsonl"):
        with (root / name).open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def subject_of(course_name: str) -> tuple[str, str]:
    """(term id, name) of a course's subject."""
    lowered = course_name.lower()
    for needle, term, name in SUBJECTS:
        if needle in lowered:
            return term, name
    return "mathematics", "Mathematics"


def item_id(problem_id: str) -> str:
    """Catalog id of a content-pack problem."""
    return f"oat-{problem_id}"


def lesson_key(course_id: str, source_lesson: str) -> str:
    """Catalog id of a lesson (lesson ids are unique only within a course)."""
    return str(uuid.uuid5(LESSON_NAMESPACE, f"{course_id}/{source_lesson}"))


def _problems(root: Path) -> Iterator[dict[str, Any]]:
    with (root / "problems.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _item_row(
    problem: dict[str, Any], course_id: str, lesson_id: str | None, position: int
) -> dict[str, Any]:
    source = problem.get("source") or {}
    oer = source.get("oer")
    attribution = ATTRIBUTION + (f" Source: {oer}" if oer else "")
    steps = problem.get("steps", [])
    return {
        "id": item_id(problem["id"]),
        "course_id": course_id,
        "lesson_id": lesson_id,
        "position": position,
        "kind": ItemKind.EXERCISE.value,
        "title": (problem.get("title") or problem["id"])[:512],
        "body": problem.get("body", ""),
        "url": None,
        "content": {
            "problem_id": problem["id"],
            "steps": steps,
            "images": problem.get("images", []),
            "variabilization": problem.get("variabilization"),
        },
        "language": problem.get("language", "en"),
        "source": SOURCE,
        "source_ref": problem["id"],
        "license": PACK_LICENSE,
        "attribution": attribution,
        "created_at": utcnow(),
        "updated_at": utcnow(),
    }


def _upsert(session: Session, model: Any, rows: list[dict[str, Any]], existing: set[str]) -> None:
    new = [r for r in rows if r["id"] not in existing]
    old = [r for r in rows if r["id"] in existing]
    if new:
        session.execute(insert(model), new)
    if old:
        session.execute(update(model), old)


LessonIndex = dict[tuple[str, str], tuple[str, dict[str, int]]]


def _import_courses(session: Session, pack: ContentPack) -> tuple[dict[str, str], LessonIndex, int]:
    """Upsert courses, their subject terms and lessons; return the id maps and lesson count."""
    existing_courses = set(repository.existing_refs(session, Course, source=SOURCE).values())
    course_ids: dict[str, str] = {}
    lesson_ids: LessonIndex = {}
    lesson_rows: list[dict[str, Any]] = []
    for course in pack.courses:
        course_id = slugify(course.course)
        course_ids[course.course] = course_id
        row = {
            "id": course_id,
            "title": course.course,
            "description": f"{course.problem_count} problems in {len(course.lessons)} lessons.",
            "language": course.language,
            "source": SOURCE,
            "source_ref": course.course,
            "license": PACK_LICENSE,
            "attribution": ATTRIBUTION
            + (f" Course source: {course.course_oer}" if course.course_oer else ""),
            "created_at": utcnow(),
            "updated_at": utcnow(),
        }
        _upsert(session, Course, [row], existing_courses)
        subject, subject_name = subject_of(course.course)
        repository.ensure_term(session, term_id=subject, name=subject_name, parent_id=None)
        repository.tag_course(session, course_id=course_id, term_id=subject)
        for position, lesson in enumerate(course.lessons):
            key = lesson_key(course_id, lesson.id)
            order = {pid: i for i, pid in enumerate(lesson.problem_ids)}
            lesson_ids[(course.course, lesson.id)] = (key, order)
            lesson_rows.append(
                {
                    "id": key,
                    "course_id": course_id,
                    "position": position,
                    "title": lesson.name[:255],
                    "source_ref": lesson.id,
                    "objectives": [o.model_dump() for o in lesson.learning_objectives],
                }
            )
    existing_lessons = {row["id"] for row in lesson_rows} & _lesson_ids(session)
    _upsert(session, Lesson, lesson_rows, existing_lessons)
    return course_ids, lesson_ids, len(lesson_rows)


def _import_items(
    session: Session,
    root: Path,
    course_ids: dict[str, str],
    lesson_ids: LessonIndex,
    progress: Callable[[int], None] | None,
) -> tuple[int, int, dict[str, Counter[str]]]:
    """Upsert one exercise item per problem with its skill tags, committing per batch."""
    existing_items = set(repository.existing_refs(session, Item, source=SOURCE).values())
    books: dict[str, Counter[str]] = {}
    skills: set[str] = set()
    items = 0
    batch: list[dict[str, Any]] = []
    tags: list[dict[str, str]] = []

    def flush() -> None:
        ids = [r["id"] for r in batch]
        _upsert(session, Item, batch, existing_items)
        session.execute(delete(ItemSkill).where(ItemSkill.item_id.in_(ids)))
        if tags:
            session.execute(insert(ItemSkill), tags)
        session.commit()  # batches become visible as they land; the marker comes last
        if progress:
            progress(len(batch))
        batch.clear()
        tags.clear()

    for problem in _problems(root):
        course_id = course_ids.get(problem["course"])
        if course_id is None:
            continue
        key = (problem["course"], problem.get("lesson_id", ""))
        lesson, order = lesson_ids.get(key, (None, {}))
        batch.append(_item_row(problem, course_id, lesson, order.get(problem["id"], 10_000)))
        problem_skills = skill_names(
            s for step in problem.get("steps", []) for s in step.get("skills", [])
        )
        tags.extend({"item_id": item_id(problem["id"]), "skill": s} for s in problem_skills)
        skills.update(problem_skills)
        book = (problem.get("source") or {}).get("openstax_book")
        if book:
            books.setdefault(course_id, Counter())[book] += 1
        items += 1
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return items, len(skills), books


def import_content_pack(
    session: Session,
    root: Path,
    *,
    progress: Callable[[int], None] | None = None,
    force: bool = False,
) -> ImportReport:
    """Import (or update) the pack at ``root``; a no-op when this exact pack was imported."""
    started = time.perf_counter()
    pack = ContentPack(root)
    checksum = pack_checksum(root)
    if not force and repository.find_import(session, source=SOURCE, checksum=checksum):
        return ImportReport(source=SOURCE, checksum=checksum, skipped=True)
    course_ids, lesson_ids, lessons = _import_courses(session, pack)
    items, skills, books = _import_items(session, root, course_ids, lesson_ids, progress)
    subjects = dict(_course_subjects(pack, course_ids))
    for course_id, counter in books.items():
        book = counter.most_common(1)[0][0]
        term = f"{subjects[course_id]}/{book}"
        repository.ensure_term(session, term_id=term, name=book, parent_id=subjects[course_id])
        repository.tag_course(session, course_id=course_id, term_id=term)
    report = ImportReport(
        source=SOURCE,
        checksum=checksum,
        skipped=False,
        courses=len(course_ids),
        lessons=lessons,
        items=items,
        skills=skills,
        seconds=round(time.perf_counter() - started, 2),
    )
    if repository.find_import(session, source=SOURCE, checksum=checksum) is None:
        session.add(
            ContentImport(
                id=str(uuid.uuid4()),
                source=SOURCE,
                checksum=checksum,
                counts=report.model_dump(include={"courses", "lessons", "items", "skills"}),
                finished_at=utcnow(),
            )
        )
    return report


def _course_subjects(pack: ContentPack, course_ids: dict[str, str]) -> list[tuple[str, str]]:
    return [(course_ids[c.course], subject_of(c.course)[0]) for c in pack.courses]


def _lesson_ids(session: Session) -> set[str]:
    return set(session.scalars(select(Lesson.id)).all())
