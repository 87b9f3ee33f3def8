"""Learner-level experiment metrics, each a sum (or a ratio of sums) over a learner's events.

A metric is defined by SQL expressions over one event row of the lake (``EVENTS_SCHEMA``
columns): per learner and day the numerator and denominator are summed; over any window a
learner's value is ``sum(numerator) / sum(denominator)`` (ratio metrics; learners with a zero
denominator have no value) or ``sum(numerator)`` (count metrics; zero when inactive).
"""

from __future__ import annotations

from dataclasses import dataclass

ANSWER_VERBS = ("answered", "attempted")
COMPLETION_VERBS = ("completed", "passed", "mastered")


@dataclass(frozen=True)
class MetricSpec:
    """How one metric is computed from events."""

    name: str
    description: str
    numerator: str
    denominator: str | None = None
    unit: str = ""

    @property
    def is_ratio(self) -> bool:
        """True for ratio-of-sums metrics."""
        return self.denominator is not None


def _verbs(verbs: tuple[str, ...]) -> str:
    return "verb IN (" + ", ".join(f"'{v}'" for v in verbs) + ")"


_ANSWERED = f"({_verbs(ANSWER_VERBS)} AND correct IS NOT NULL)"
METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec(
            "accuracy",
            "Share of graded answers that were correct.",
            numerator=f"CASE WHEN {_ANSWERED} AND correct THEN 1 ELSE 0 END",
            denominator=f"CASE WHEN {_ANSWERED} THEN 1 ELSE 0 END",
        ),
        MetricSpec(
            "attempts",
            "Graded answers per learner.",
            numerator=f"CASE WHEN {_ANSWERED} THEN 1 ELSE 0 END",
        ),
        MetricSpec(
            "completions",
            "Completed, passed or mastered objects per learner.",
            numerator=f"CASE WHEN {_verbs(COMPLETION_VERBS)} THEN 1 ELSE 0 END",
        ),
        MetricSpec(
            "mean_duration_s",
            "Mean time on task of answers with a duration.",
            numerator="COALESCE(duration_s, 0)",
            denominator="CASE WHEN duration_s IS NOT NULL THEN 1 ELSE 0 END",
            unit="s",
        ),
        MetricSpec(
            "hints_per_answer",
            "Hints requested per graded answer.",
            numerator="COALESCE(hints_used, 0)"
            " + CASE WHEN verb = 'hint_requested' THEN 1 ELSE 0 END",
            denominator=f"CASE WHEN {_ANSWERED} THEN 1 ELSE 0 END",
        ),
        MetricSpec(
            "events",
            "Events of any kind per learner (engagement).",
            numerator="1",
        ),
    )
}
