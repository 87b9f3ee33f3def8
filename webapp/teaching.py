"""Instructor views from course-scoped analytics (FERPA: instructors never read another
learner's raw attempts or progress): the roster's mastery heat-map, learners at risk (with the
rule that flagged them) and item difficulty."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

LOW_MASTERY = 0.4  # mean mastery below this flags a learner
LOW_ACCURACY = 0.5  # accuracy below this (over MIN_ANSWERS answers or more) flags a learner
MIN_ANSWERS = 3
INACTIVE_DAYS = 7  # no event for this long flags a learner


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


def _parse(value: object) -> datetime | None:
    if not value:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def at_risk(
    table: Roster, activity: list[dict[str, Any]], now: datetime | None = None
) -> list[AtRisk]:
    """Learners with low mean mastery, low accuracy (over ``MIN_ANSWERS`` answers or more) or
    no activity for ``INACTIVE_DAYS``; ``activity`` are rows of the ``learner_activity`` report."""
    now = now or datetime.now(UTC)
    flagged = []
    for row in sorted(activity, key=lambda r: str(r["learner_id"])):
        learner, reasons = str(row["learner_id"]), []
        mean = table.mean(learner)
        if mean is not None and mean < LOW_MASTERY:
            reasons.append(f"mean mastery {mean:.0%} (below {LOW_MASTERY:.0%})")
        accuracy = row.get("accuracy")
        enough = int(row.get("answers") or 0) >= MIN_ANSWERS
        if accuracy is not None and enough and float(accuracy) < LOW_ACCURACY:
            reasons.append(f"accuracy {float(accuracy):.0%} (below {LOW_ACCURACY:.0%})")
        last = _parse(row.get("last_seen"))
        if last is not None and now - last > timedelta(days=INACTIVE_DAYS):
            reasons.append(f"inactive for {(now - last).days} days")
        if reasons:
            flagged.append(AtRisk(learner, reasons))
    return flagged


@dataclass(frozen=True)
class ItemStat:
    """How learners fared on one item (classical test theory, from ``item_statistics``)."""

    item_id: str
    answers: int
    p_correct: float
    discrimination: float | None

    @property
    def difficulty(self) -> float:
        """Classical difficulty: 1 − share answered correctly."""
        return 1.0 - self.p_correct


def item_difficulty(rows: list[dict[str, Any]], min_answers: int = 1) -> list[ItemStat]:
    """Items of the ``item_statistics`` report with enough answers, hardest first."""
    stats = [
        ItemStat(
            item_id=str(r["item_id"]),
            answers=int(r["answers"]),
            p_correct=float(r["p_correct"]),
            discrimination=None if r.get("discrimination") is None else float(r["discrimination"]),
        )
        for r in rows
        if int(r["answers"]) >= min_answers
    ]
    return sorted(stats, key=lambda s: (-s.difficulty, -s.answers, s.item_id))
