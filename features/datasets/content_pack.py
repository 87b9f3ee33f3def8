"""Loader for the OATutor-derived content pack (problems, skills, courses).

Files (see the pack's README): ``problems.jsonl`` (one problem with steps, hints and skills per
line), ``skills.json`` (skill → BKT parameters, problems, lessons) and ``courses.json``
(course → ordered lessons → learning objectives with mastery thresholds). Lesson ids are unique
only within a course. Attribution (CC BY 4.0) is in :data:`ATTRIBUTION` and per problem in
``Problem.source``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

ATTRIBUTION = (
    "Problems adapted from OpenStax (openstax.org, CC BY 4.0); hints and scaffolds by the OATutor "
    "Project (oatutor.io, github.com/CAHLR/OATutor-Content), CC BY 4.0. Modified: reformatted to "
    "JSON, images omitted."
)


def skill_names(names: Iterable[str]) -> list[str]:
    """Distinct skill names in first-seen order, blank ones dropped (the pack tags two problems
    and one lesson objective with an empty skill name)."""
    return list(dict.fromkeys(name for name in names if name.strip()))


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ProblemSource(_Loose):
    """Attribution of one problem as written in its source file."""

    oer: str | None = None
    license: str | None = None
    openstax_book: str | None = None


class Step(_Loose):
    """One part of a problem with its answers and hints."""

    id: str
    prompt: str = ""
    prompt_body: str | None = None
    input_type: str
    answer_type: str
    correct_answers: list[str] = Field(default_factory=list)
    choices: list[str] = Field(default_factory=list)
    hints: list[str] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)

    @field_validator("skills")
    @classmethod
    def _named_skills(cls, value: list[str]) -> list[str]:
        return skill_names(value)


class Problem(_Loose):
    """A problem (item) of the content pack."""

    id: str
    title: str = ""
    body: str = ""
    course: str
    lesson: str = ""
    lesson_id: str
    language: str = "en"
    source: ProblemSource = Field(default_factory=ProblemSource)
    images: list[str] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)

    @property
    def skills(self) -> list[str]:
        """Distinct skills of all steps, in order of first appearance."""
        return skill_names(s for step in self.steps for s in step.skills)


class LearningObjective(_Loose):
    """A skill a lesson teaches and the mastery needed to pass it."""

    skill: str
    mastery_threshold: float = 0.85


class Lesson(_Loose):
    """An ordered unit of a course."""

    id: str
    name: str
    topics: str | None = None
    learning_objectives: list[LearningObjective] = Field(default_factory=list)
    problem_ids: list[str] = Field(default_factory=list)

    @field_validator("learning_objectives")
    @classmethod
    def _named_objectives(cls, value: list[LearningObjective]) -> list[LearningObjective]:
        return [objective for objective in value if objective.skill.strip()]


class Course(_Loose):
    """A course: ordered lessons plus attribution."""

    course: str
    language: str = "en"
    course_oer: str | None = None
    course_license: str | None = None

    @field_validator("course_oer", "course_license", mode="before")
    @classmethod
    def _blank_non_strings(cls, value: Any) -> str | None:
        # One course plan has the float 0.0 where the attribution strings belong.
        return value if isinstance(value, str) and value else None

    problem_count: int = 0
    lessons: list[Lesson] = Field(default_factory=list)


class ContentPack:
    """Lazy, read-only view of a content pack folder (``<dataset_dir>/content``)."""

    def __init__(self, root: Path):
        self.root = root
        for name in ("problems.jsonl", "skills.json", "courses.json"):
            if not (root / name).is_file():
                raise FileNotFoundError(f"content pack file {root / name} not found")

    def iter_problems(self) -> Iterator[Problem]:
        """Stream problems in file order (course → lesson → id)."""
        with (self.root / "problems.jsonl").open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield Problem.model_validate_json(line)

    @cached_property
    def problems(self) -> dict[str, Problem]:
        """All problems by id (~12.8k; loads the whole file)."""
        return {p.id: p for p in self.iter_problems()}

    @cached_property
    def skills(self) -> dict[str, dict[str, Any]]:
        """Raw skill records keyed by skill name (blank names dropped)."""
        data = json.loads((self.root / "skills.json").read_text(encoding="utf-8"))
        return {name: record for name, record in data["skills"].items() if name.strip()}

    @cached_property
    def courses(self) -> list[Course]:
        """Courses in course-plan order."""
        data = json.loads((self.root / "courses.json").read_text(encoding="utf-8"))
        return [Course.model_validate(c) for c in data["courses"]]

    def course(self, name: str) -> Course:
        """One course by name; the error lists the available names."""
        for course in self.courses:
            if course.course == name:
                return course
        available = ", ".join(c.course for c in self.courses)
        raise KeyError(f"unknown course {name!r}; available: {available}")
