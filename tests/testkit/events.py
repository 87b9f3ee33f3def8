"""Factories for canonical events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from features.events import LearningEvent


def make_events(n: int, *, start: datetime | None = None, learners: int = 7) -> list[LearningEvent]:
    """``n`` valid, varied events spread over several days, verbs and learners."""
    start = start or datetime(2024, 1, 1, tzinfo=UTC)
    return [
        LearningEvent.model_validate(
            {
                "learner_id": f"l{i % learners}",
                "timestamp": start + timedelta(hours=5 * i),
                "verb": "answered" if i % 3 else "viewed",
                "object": {"id": f"p{i}"},
                "skill_ids": ["s1", "s2"][: 1 + i % 2],
                "result": {"correct": bool(i % 2), "duration_s": float(i)},
                "context": {"session_id": "x", "experiments": {"e": "A"}},
            }
        )
        for i in range(n)
    ]
