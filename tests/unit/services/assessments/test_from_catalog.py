"""Content-pack steps become gradable items: each step is answered right by its own key."""

from __future__ import annotations

import json
import random
from pathlib import Path

from services.assessments.from_catalog import step_to_item
from services.assessments.grading import grade
from services.assessments.service import answer_key


def _steps(
    dataset_dir: Path, sample: int
) -> list[tuple[str, dict[str, object], dict[str, object]]]:
    rows = []
    with (dataset_dir / "content" / "problems.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            problem = json.loads(line)
            rows.extend((problem["id"], problem, step) for step in problem["steps"])
    return random.Random(7).sample(rows, sample)


def test_sampled_steps_map_to_items_their_own_answers_pass(dataset_dir: Path) -> None:
    kinds: dict[str, int] = {}
    for problem_id, problem, step in _steps(dataset_dir, 400):
        item = step_to_item(f"oat-{problem_id}", str(problem.get("body", "")), step)
        kinds[item.kind] = kinds.get(item.kind, 0) + 1
        key = answer_key(item)
        choices = list(getattr(item, "choices", []))
        if item.kind == "single_choice":
            response = str(key["correct"])
        else:
            response = str(step["correct_answers"][0]).strip().strip("$")  # type: ignore[index]
        assert grade(item.kind, key, choices, response).correct, (problem_id, step["id"], response)
        assert item.content_ref == f"oat-{problem_id}/{step['id']}"
        assert item.skills == step["skills"]
    assert {"single_choice", "algebraic"} <= set(kinds)


def test_multiple_choice_step_keeps_choices_and_hints() -> None:
    step = {
        "id": "s1",
        "prompt": "Pick",
        "input_type": "MultipleChoice",
        "answer_type": "string",
        "correct_answers": ["$$4$$"],
        "choices": ["$$3$$", "$$4$$"],
        "hints": ["count", "again"],
        "skills": ["counting"],
    }
    item = step_to_item("oat-p", "Body", step)
    assert item.kind == "single_choice"
    assert item.correct == 1  # type: ignore[union-attr]
    assert item.hints == ["count", "again"]
    assert item.prompt.startswith("Body")
