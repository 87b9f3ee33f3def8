"""A tiny content pack (two courses, five skills) and the serving objects built on it.

Algebra One: lesson 1 teaches a and b, lesson 2 teaches c (so c needs a and b), lesson 3
teaches d (needs c). Geometry: g (a root). p5 exercises c and a together.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from learnloop.settings import Settings
from serving.content import ContentIndex
from serving.factory import content_index

BKT = {"probMastery": 0.1, "probTransit": 0.2, "probSlip": 0.1, "probGuess": 0.2}
LESSONS = {
    "Algebra One": [
        ("L1", ["a", "b"], ["p1", "p2", "p3"]),
        ("L2", ["c"], ["p4", "p5"]),
        ("L3", ["d"], ["p6"]),
    ],
    "Geometry": [("G1", ["g"], ["q1", "q2"])],
}
PROBLEM_SKILLS = {
    "p1": ["a"],
    "p2": ["a"],
    "p3": ["b"],
    "p4": ["c"],
    "p5": ["c", "a"],
    "p6": ["d"],
    "q1": ["g"],
    "q2": ["g"],
}


def write_pack(root: Path) -> Path:
    """Write the tiny pack into ``root/content``; returns the datasets folder."""
    content = root / "content"
    content.mkdir(parents=True)
    courses: list[dict[str, Any]] = []
    problems = []
    for course, lessons in LESSONS.items():
        plan = []
        for lesson_id, skills, problem_ids in lessons:
            plan.append(
                {
                    "id": lesson_id,
                    "name": lesson_id,
                    "learning_objectives": [
                        {"skill": s, "mastery_threshold": 0.85} for s in skills
                    ],
                    "problem_ids": problem_ids,
                }
            )
            for pid in problem_ids:
                steps = [
                    {
                        "id": f"{pid}{i}",
                        "input_type": "TextBox",
                        "answer_type": "string",
                        "skills": [s],
                    }
                    for i, s in enumerate(PROBLEM_SKILLS[pid])
                ]
                problems.append(
                    {"id": pid, "course": course, "lesson_id": lesson_id, "steps": steps}
                )
        courses.append({"course": course, "lessons": plan})
    skills = {s: {"bkt": BKT} for ps in PROBLEM_SKILLS.values() for s in ps}
    (content / "courses.json").write_text(json.dumps({"courses": courses}))
    (content / "skills.json").write_text(json.dumps({"skills": skills}))
    (content / "problems.jsonl").write_text("\n".join(json.dumps(p) for p in problems) + "\n")
    return root


@pytest.fixture(scope="session")
def tiny_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("serving")
    datasets = write_pack(root / "datasets")
    return Settings(data_dir=root / "var", dataset_dir=datasets)


@pytest.fixture(scope="session")
def tiny_index(tiny_settings: Settings) -> ContentIndex:
    return content_index(tiny_settings)
