"""Instructor views computed from attempts and progress: the roster's mastery heat-map,
learners at risk (with the rule that flagged them) and item difficulty (share answered wrong)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

LOW_MASTERY = 0.4  # mean mastery below this flags a learner
LOW_SCORE = 0.5  # latest submitted score share below this flags a learner
INACTIVE_DAYS = 7  # no attempt started for this long flags a learner


@dataclass
class Roster:
    """Mastery per learner and skill (``None`` where a learner has no estimate yet)."""

    learners: list[str]
    skills: list[str]
    cells: dict[tuple[str, str], float] = field(default_factory=dict)

    def value(self, learner: str, skill: str) -> float | None:
        return self.cells.get((learner, skill))

    def mean(self, learner: str) -> float | None:
        values = [v for (who, _), v in self.cells.items() if who == learner]
        return sum(values) / len(values) if values else None


def roster(
    learners: list[str], mastery: dict[str, list[dict[str, Any]]], skills: list[str] | None
) -> Roster:
    """The heat-map of ``learners``; columns are ``skills`` (the course's) when given, else
    every skill any of them has an estimate for."""
    cells = {
        (learner, row["skill_id"]): float(row["mastery"])
        for learner in learners
        for row in mastery.get(learner, [])
        if skills is None or row["skill_id"] in skills
    }
    seen = sorted({skill for _, skill in cells})
    columns = [s for s in skills if s in seen] if skills is not None else seen
    return Roster(learners=sorted(learners), skills=columns, cells=cells)


@dataclass(frozen=True)
class AtRisk:
    """A learner flagged at risk and why."""

    learner: str
    reasons: list[str]


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def at_risk(
    table: Roster, attempts: list[dict[str, Any]], now: datetime | None = None
) -> list[AtRisk]:
    """Learners of ``table`` with low mean mastery, a low latest score, or no recent attempt."""
    now = now or datetime.now(UTC)
    by_learner: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for attempt in attempts:
        by_learner[attempt["learner_id"]].append(attempt)
    flagged = []
    for learner in table.learners:
        reasons = []
        mean = table.mean(learner)
        if mean is not None and mean < LOW_MASTERY:
            reasons.append(f"mean mastery {mean:.0%} (below {LOW_MASTERY:.0%})")
        own = by_learner.get(learner, [])
        submitted = [a for a in own if a.get("submitted_at") and a.get("max_score")]
        if submitted:
            latest = max(submitted, key=lambda a: str(a["submitted_at"]))
            share = float(latest.get("score") or 0) / float(latest["max_score"])
            if share < LOW_SCORE:
                reasons.append(f"latest score {share:.0%} (below {LOW_SCORE:.0%})")
        started = [d for d in (_parse(a.get("started_at")) for a in own) if d]
        if started and now - max(started) > timedelta(days=INACTIVE_DAYS):
            reasons.append(f"no attempt for {(now - max(started)).days} days")
        if reasons:
            flagged.append(AtRisk(learner, reasons))
    return flagged


@dataclass(frozen=True)
class ItemStat:
    """How learners fared on one assessment item."""

    item_id: str
    prompt: str
    answers: int
    correct: int

    @property
    def p_correct(self) -> float:
        return self.correct / self.answers if self.answers else 0.0

    @property
    def difficulty(self) -> float:
        """Classical difficulty: 1 − share answered correctly."""
        return 1.0 - self.p_correct


def item_difficulty(
    responses: list[dict[str, Any]], prompts: dict[str, str], min_answers: int = 1
) -> list[ItemStat]:
    """Per-item difficulty over ``responses`` (hardest first)."""
    answered: dict[str, list[bool]] = defaultdict(list)
    for response in responses:
        answered[response["item_id"]].append(bool(response["correct"]))
    stats = [
        ItemStat(item, prompts.get(item, item), len(marks), sum(marks))
        for item, marks in answered.items()
        if len(marks) >= min_answers
    ]
    return sorted(stats, key=lambda s: (-s.difficulty, -s.answers, s.item_id))
