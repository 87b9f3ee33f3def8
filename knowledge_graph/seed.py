"""Seed a skill graph from course plans: courses → ordered lessons → learning-objective skills.

Heuristic: within a course, every skill a lesson introduces depends on the skills the previous
lesson (that introduced any) taught. Courses that order the same skills differently would close
cycles; those edges are refused and reported, so the first course plan to claim an order wins.
Duck-typed inputs keep this module free of the content-pack loader (``features``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from knowledge_graph.base import Prerequisite, Skill, SkillGraph

SOURCE = "seed"


class ObjectiveLike(Protocol):
    """A lesson's learning objective."""

    @property
    def skill(self) -> str: ...

    @property
    def mastery_threshold(self) -> float: ...


class LessonLike(Protocol):
    """A lesson: ordered objectives and the problems it uses."""

    @property
    def learning_objectives(self) -> Sequence[ObjectiveLike]: ...

    @property
    def problem_ids(self) -> Sequence[str]: ...


class CourseLike(Protocol):
    """A course plan: a name and ordered lessons."""

    @property
    def course(self) -> str: ...

    @property
    def lessons(self) -> Sequence[LessonLike]: ...


@dataclass
class SeedReport:
    """What :func:`seed_from_courses` did."""

    courses: int = 0
    skills: int = 0
    prerequisites: int = 0
    content: int = 0
    refused_cycles: list[Prerequisite] = field(default_factory=list)

    def summary(self) -> str:
        """One line for people: what was added, what was refused."""
        return (
            f"seeded {self.courses} courses: {self.skills} skills, {self.prerequisites} "
            f"prerequisites, {self.content} content items; {len(self.refused_cycles)} edges "
            "refused (would close a cycle across course plans)"
        )


def course_edges(course: CourseLike) -> list[Prerequisite]:
    """Edges implied by one course plan (previous lesson's new skills → this lesson's new ones)."""
    edges: list[Prerequisite] = []
    seen: set[str] = set()
    previous: list[str] = []
    for lesson in course.lessons:
        introduced = [
            o.skill for o in lesson.learning_objectives if o.skill.strip() and o.skill not in seen
        ]
        introduced = list(dict.fromkeys(introduced))
        if not introduced:
            continue
        edges.extend(Prerequisite(p, d, SOURCE) for p in previous for d in introduced)
        seen.update(introduced)
        previous = introduced
    return edges


def seed_from_courses(
    graph: SkillGraph,
    courses: Iterable[CourseLike],
    *,
    problem_skills: Mapping[str, Sequence[str]] | None = None,
) -> SeedReport:
    """Add skills (with mastery thresholds), prerequisite edges and content tags to ``graph``.

    Parameters
    ----------
    graph : SkillGraph
        Target graph (existing content is kept; writes are idempotent).
    courses : iterable of course plans
        E.g. ``ContentPack(root).courses``.
    problem_skills : mapping, optional
        Problem id → skills it exercises (e.g. from ``Problem.skills``); problems of a lesson
        without an entry are tagged with the lesson's objectives.
    """
    report = SeedReport()
    thresholds: dict[str, float] = {}
    edges: list[Prerequisite] = []
    tags: dict[str, list[str]] = {}
    for course in courses:
        report.courses += 1
        for lesson in course.lessons:
            objectives = [o for o in lesson.learning_objectives if o.skill.strip()]
            for objective in objectives:
                thresholds.setdefault(objective.skill, float(objective.mastery_threshold))
            for problem in lesson.problem_ids:
                known = (problem_skills or {}).get(problem)
                skills = [s for s in (known or [o.skill for o in objectives]) if s.strip()]
                if skills:
                    tags.setdefault(problem, [])
                    tags[problem].extend(s for s in skills if s not in tags[problem])
        edges.extend(course_edges(course))
    graph.add_skills(Skill(s, mastery_threshold=t) for s, t in sorted(thresholds.items()))
    edges = list(dict.fromkeys(edges))
    report.refused_cycles = graph.add_prerequisites(edges)
    for problem, skills in tags.items():
        graph.tag_content(problem, skills)
    report.skills = len(thresholds)
    report.prerequisites = len(edges) - len(report.refused_cycles)
    report.content = len(tags)
    graph.save()
    return report
