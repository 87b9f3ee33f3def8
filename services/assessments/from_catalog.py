"""Turn catalog exercises (content-pack problems) into assessment items, through the catalog API.

Each step of a problem becomes one item: multiple-choice steps → ``single_choice``, arithmetic
text steps → ``algebraic`` (graded by mathematical equivalence), string text steps →
``short_text``. The step's hints are served one at a time, its skills tag the item, and
``content_ref`` (``<catalog item>/<step>``) becomes the LearningEvent object id.
"""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import TypeAdapter, ValidationError

from services.assessments.mathexpr import ExpressionError, parse
from services.assessments.schemas import ItemCreate
from services.common.errors import InvalidInputError, NotFoundError, UpstreamError

_ITEM = TypeAdapter(ItemCreate)


def _clean(text: str) -> str:
    return text.strip().strip("$").strip()


def _readable(answers: list[str]) -> bool:
    try:
        for answer in answers:
            parse(answer)
    except ExpressionError:
        return False
    return True


def step_to_item(item_id: str, body: str, step: dict[str, Any]) -> ItemCreate:
    """One assessment item from one content-pack step."""
    prompt = "\n\n".join(
        p for p in (body, step.get("prompt", ""), step.get("prompt_body") or "") if p
    )
    answers = [a for a in step.get("correct_answers", []) if a.strip()]
    common: dict[str, Any] = {
        "prompt": prompt[:20_000] or step["id"],
        "hints": [h[:5000] for h in step.get("hints", []) if h.strip()][:30],
        "skills": [s[:255] for s in step.get("skills", [])][:32],
        "content_ref": f"{item_id}/{step['id']}"[:128],
    }
    choices = [c[:2000] for c in step.get("choices", []) if c.strip()][:20]
    if step.get("input_type") == "MultipleChoice" and len(choices) >= 2 and answers:
        wanted = _clean(answers[0])
        matches = [i for i, choice in enumerate(choices) if _clean(choice) == wanted]
        if matches:
            return _ITEM.validate_python(
                {**common, "kind": "single_choice", "choices": choices, "correct": matches[0]}
            )
    if not answers:
        raise InvalidInputError(f"step {step['id']} of {item_id} has no answer", field="item_ids")
    if step.get("answer_type") == "arithmetic" and _readable(answers):
        return _ITEM.validate_python(
            {**common, "kind": "algebraic", "accepted": [a[:300] for a in answers]}
        )
    return _ITEM.validate_python(
        {**common, "kind": "short_text", "accepted": [_clean(a)[:200] or a[:200] for a in answers]}
    )


async def fetch_items(
    client: httpx.AsyncClient, item_ids: list[str]
) -> tuple[list[ItemCreate], list[str], str | None]:
    """(items, skills, attribution) of the given catalog exercises, in order."""
    items: list[ItemCreate] = []
    attribution: str | None = None
    for index, item_id in enumerate(item_ids):
        try:
            answer = await client.get(f"/catalog/items/{item_id}")
        except httpx.HTTPError as exc:
            raise UpstreamError(f"catalog unreachable: {exc}") from None
        if answer.status_code == 404:
            raise NotFoundError(f"catalog item {item_id} not found", field=f"item_ids.{index}")
        if answer.status_code != 200:
            raise UpstreamError(f"catalog answered {answer.status_code} for {item_id}")
        data = answer.json()
        steps = data.get("content", {}).get("steps", [])
        if data.get("kind") != "exercise" or not steps:
            raise InvalidInputError(
                f"{item_id} is not an exercise with steps", field=f"item_ids.{index}"
            )
        if any("correct_answers" not in s for s in steps):
            raise InvalidInputError(
                "the catalog did not return answers (author role needed)", field="item_ids"
            )
        try:
            items.extend(step_to_item(item_id, data.get("body", ""), step) for step in steps)
        except ValidationError as exc:
            raise InvalidInputError(
                f"{item_id}: {exc.errors()[0]['msg']}", field=f"item_ids.{index}"
            ) from None
        attribution = attribution or data.get("attribution")
    return items, sorted({s for i in items for s in i.skills}), attribution
