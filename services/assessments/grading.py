"""Grade one response against an item's answer key (all-or-nothing per item).

=================  =====================================================================
kind               answer key (``AssessmentItem.answer``) and rule
=================  =====================================================================
single_choice      ``{"correct": i}`` — the chosen index (``"2"``) must be ``i``
multiple_choice    ``{"correct": [i, j]}`` — the chosen set (``"0,2"``) must equal it
numeric            ``{"value": v, "tolerance": t}`` — ``|x - v| <= t``
short_text         ``{"accepted": [...], "mode": "exact"|"regex", "case_sensitive": b}`` —
                   exact after trimming and collapsing spaces, or a full regex match
algebraic          ``{"accepted": [...]}`` — mathematically equivalent to one of them
                   (:mod:`services.assessments.mathexpr`)
=================  =====================================================================

A response that cannot be read for its kind (``"abc"`` to a numeric item) raises
:class:`ResponseFormatError`: the learner gets a 422 naming ``response`` and no attempt is spent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from services.assessments.mathexpr import ExpressionError, equivalent, parse
from services.assessments.models import ItemKind


class ResponseFormatError(ValueError):
    """The response is not in the form the item expects."""


@dataclass(frozen=True)
class Grade:
    """Outcome of one response."""

    correct: bool
    score: float


def _indices(response: str, n_choices: int) -> list[int]:
    try:
        chosen = [int(part) for part in response.replace(" ", "").split(",") if part != ""]
    except ValueError:
        raise ResponseFormatError("choose by index, e.g. '0' or '0,2'") from None
    if not chosen or any(not 0 <= i < n_choices for i in chosen):
        raise ResponseFormatError(f"choice indices must be between 0 and {n_choices - 1}")
    return chosen


def _normalise(text: str, case_sensitive: bool) -> str:
    text = " ".join(text.replace("\\left", "").replace("\\right", "").strip("$ ").split())
    return text if case_sensitive else text.casefold()


def _algebraic_match(response: str, accepted: str) -> bool:
    try:
        return equivalent(response, accepted)
    except ExpressionError:  # a key sympy cannot read: fall back to the literal text
        return _normalise(response, False) == _normalise(accepted, False)


def grade(kind: str, answer: dict[str, Any], choices: list[str], response: str) -> Grade:
    """Grade ``response`` for an item of ``kind`` with answer key ``answer``."""
    if kind == ItemKind.SINGLE_CHOICE:
        chosen = _indices(response, len(choices))
        if len(chosen) != 1:
            raise ResponseFormatError("choose exactly one option")
        correct = chosen[0] == answer["correct"]
    elif kind == ItemKind.MULTIPLE_CHOICE:
        correct = set(_indices(response, len(choices))) == set(answer["correct"])
    elif kind == ItemKind.NUMERIC:
        try:
            value = float(response.strip().replace(",", "."))
        except ValueError:
            raise ResponseFormatError("a number is expected, e.g. 3.14") from None
        correct = abs(value - float(answer["value"])) <= float(answer.get("tolerance", 0.0)) + 1e-12
    elif kind == ItemKind.SHORT_TEXT:
        case_sensitive = bool(answer.get("case_sensitive", False))
        if answer.get("mode", "exact") == "regex":
            flags = 0 if case_sensitive else re.IGNORECASE
            correct = any(re.fullmatch(p, response.strip(), flags) for p in answer["accepted"])
        else:
            given = _normalise(response, case_sensitive)
            correct = any(given == _normalise(a, case_sensitive) for a in answer["accepted"])
    elif kind == ItemKind.ALGEBRAIC:
        try:
            parse(response)
        except ExpressionError as exc:
            raise ResponseFormatError(str(exc)) from None
        correct = any(_algebraic_match(response, accepted) for accepted in answer["accepted"])
    else:
        raise ValueError(f"unknown item kind {kind!r}")
    return Grade(correct=correct, score=1.0 if correct else 0.0)
