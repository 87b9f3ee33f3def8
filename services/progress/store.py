"""The progress store: one interface, a relational backend and a DynamoDB backend.

:meth:`ProgressStore.apply` is the only write of the event path: atomically it records the
event id (so a redelivered event is recognised), replaces the learner's KT state if its
version is unchanged (optimistic concurrency: a concurrent writer makes it raise
:class:`StaleStateError` and the caller retries), and upserts the per-skill mastery rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class StaleStateError(RuntimeError):
    """The learner's state changed since it was read; reload and retry."""


@dataclass(frozen=True)
class SkillUpdate:
    """New mastery of one skill caused by one event."""

    skill_id: str
    mastery: float
    previous: float | None
    correct: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON form (kept with the processed event for re-emission)."""
        return {
            "skill_id": self.skill_id,
            "mastery": self.mastery,
            "previous": self.previous,
            "correct": self.correct,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SkillUpdate:
        """Inverse of :meth:`to_dict`."""
        return cls(
            data["skill_id"], float(data["mastery"]), data.get("previous"), bool(data["correct"])
        )


@dataclass(frozen=True)
class SkillMastery:
    """Stored mastery of one skill."""

    learner_id: str
    skill_id: str
    mastery: float
    attempts: int
    correct: int
    model: str
    updated_at: datetime


@dataclass
class LearnerSnapshot:
    """A learner's KT state and its version (0 = new learner)."""

    state: dict[str, Any] | None
    version: int = 0
    mastery: dict[str, SkillMastery] = field(default_factory=dict)


class ProgressStore(Protocol):
    """Where mastery lives (see module docstring)."""

    def processed(self, learner_id: str, event_id: str) -> list[SkillUpdate] | None:
        """The updates an already-applied event of the learner produced, or None if new."""

    def load(self, learner_id: str, skills: list[str]) -> LearnerSnapshot:
        """KT state, version and the current mastery of ``skills``."""

    def apply(
        self,
        *,
        event_id: str,
        learner_id: str,
        model: str,
        state: dict[str, Any],
        expected_version: int,
        updates: list[SkillUpdate],
        at: datetime,
    ) -> bool:
        """Write atomically; False when the event was applied before (nothing written)."""

    def mastery(self, learner_id: str) -> list[SkillMastery]:
        """Every skill of a learner, by skill id."""

    def erase_learner(self, learner_id: str) -> int:
        """Delete everything about a learner; returns records deleted."""

    def ping(self) -> bool:
        """True when the backend answers."""
