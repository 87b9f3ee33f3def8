"""Seeding the graph from course plans (tiny plans and the shipped content pack)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from features.datasets.content_pack import ContentPack
from knowledge_graph.networkx_backend import NetworkXSkillGraph
from knowledge_graph.seed import course_edges, seed_from_courses


@dataclass
class Objective:
    skill: str
    mastery_threshold: float = 0.85


@dataclass
class Lesson:
    learning_objectives: list[Objective]
    problem_ids: list[str] = field(default_factory=list)


@dataclass
class Course:
    course: str
    lessons: list[Lesson]


def course(name: str, *lessons: list[str]) -> Course:
    return Course(
        name,
        [
            Lesson([Objective(s) for s in skills], [f"{name}-{i}"])
            for i, skills in enumerate(lessons)
        ],
    )


def test_each_lesson_builds_on_the_previous_lessons_new_skills() -> None:
    edges = course_edges(course("c", ["a", "b"], ["c"], ["a", "d"], [""]))
    assert [(e.prerequisite, e.dependent) for e in edges] == [("a", "c"), ("b", "c"), ("c", "d")]


def test_conflicting_course_orders_are_refused_not_cycled(tmp_path: Path) -> None:
    graph = NetworkXSkillGraph(tmp_path / "g.json")
    report = seed_from_courses(graph, [course("one", ["a"], ["b"]), course("two", ["b"], ["a"])])
    assert [(e.prerequisite, e.dependent) for e in report.refused_cycles] == [("b", "a")]
    assert graph.prerequisites("b") == ["a"] and report.prerequisites == 1
    assert graph.skills_for("one-0") == ["a"]
    assert (
        NetworkXSkillGraph(tmp_path / "g.json").prerequisite_edges() == graph.prerequisite_edges()
    )


def test_seed_the_shipped_content_pack(dataset_dir: Path) -> None:
    pack = ContentPack(dataset_dir / "content")
    graph = NetworkXSkillGraph()
    report = seed_from_courses(graph, pack.courses[:3])
    assert report.courses == 3 and report.skills > 50 and report.prerequisites > 50
    snapshot = graph.to_networkx()
    assert nx.is_directed_acyclic_graph(snapshot)
    lesson = pack.courses[0].lessons[1]
    skill = lesson.learning_objectives[0].skill
    assert graph.skill(skill).mastery_threshold == lesson.learning_objectives[0].mastery_threshold
    assert lesson.problem_ids[0] in graph.content_for(skill)
