"""Plain-language text for the machine-readable reasons of RES recommendations and LPS steps."""

from __future__ import annotations

from typing import Any


def _pct(value: Any) -> str:
    try:
        return f"{float(value):.0%}"
    except (TypeError, ValueError):
        return "?"


def _skills(reason: dict[str, Any]) -> str:
    names = reason.get("skills") or reason.get("goals") or []
    return ", ".join(str(s) for s in names) or "—"


PHRASES: dict[str, Any] = {
    "cold_start": lambda r: "A starting point: we do not know your progress here yet.",
    "prerequisites_met": lambda r: f"You have mastered what it builds on ({_skills(r)}).",
    "zpd": lambda r: (
        f"About the right challenge: {_pct(r.get('p_correct'))} expected to be "
        f"answered correctly (target {_pct(r.get('target'))})."
    ),
    "new_skill": lambda r: f"Teaches {r.get('skill')}, mastered {_pct(r.get('mastery'))} so far.",
    "unlocks": lambda r: (
        f"Mastering {r.get('skill')} opens {r.get('dependents')} further skill(s)."
    ),
    "review": lambda r: (
        f"Review of {r.get('skill')}: last practised "
        f"{float(r.get('days_since') or 0):.0f} day(s) ago."
    ),
    "popular": lambda r: "Often taken next by learners like you.",
    "relevance": lambda r: "Fits what you worked on recently.",
    "repeat": lambda r: f"You have seen this {r.get('times')} time(s) before.",
    "diversity": lambda r: f"Mixed in to vary skills ({r.get('skill')}).",
    "all_mastered": lambda r: f"Practice: you have mastered {r.get('skill')}.",
    "scope_widened": lambda r: "Nothing matched the filters; the search was widened.",
    "course_from_history": lambda r: f"From {r.get('course_id')}, the course you worked on last.",
    "goal": lambda r: "A goal of this path.",
    "needed_for": lambda r: f"Needed for {_skills(r)}.",
    "gain_per_minute": lambda r: "Good learning gain for the time it takes.",
    "no_content": lambda r: f"No practice content for {r.get('skill')} yet.",
    "also_practises": lambda r: f"Its exercises also practise {_skills(r)}.",
    "capped": lambda r: (
        f"A long stretch: {r.get('items')} items are expected to bring it to "
        f"{_pct(r.get('expected_mastery'))}, short of the {_pct(r.get('threshold'))} to master it."
    ),
    "already_mastered": lambda r: f"Already mastered: {_skills(r)}.",
    "prerequisites_unmastered": lambda r: f"Needs first: {_skills(r)}.",
}


def explain(reason: dict[str, Any]) -> str:
    """One sentence for one reason (unknown codes are shown by name)."""
    phrase = PHRASES.get(str(reason.get("code")))
    if phrase is None:
        return str(reason.get("code", "reason")).replace("_", " ")
    return str(phrase(reason))


def explain_all(reasons: list[dict[str, Any]]) -> list[str]:
    """Sentences for ``reasons``, without repeats."""
    seen: dict[str, None] = {}
    for reason in reasons:
        seen.setdefault(explain(reason), None)
    return list(seen)
