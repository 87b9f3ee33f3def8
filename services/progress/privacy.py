"""PTS side of data-subject requests: the learner's mastery, state and event markers."""

from __future__ import annotations

from typing import Any

from services.progress.store import ProgressStore


class ProgressSubjectHandler:
    """Deletes everything the progress store holds about a learner."""

    store = "progress"

    def __init__(self, progress: ProgressStore):
        self.progress = progress

    def export_subject(self, subject_id: str) -> dict[str, Any]:
        return {
            "mastery": [
                {
                    "skill_id": m.skill_id,
                    "mastery": m.mastery,
                    "attempts": m.attempts,
                    "correct": m.correct,
                    "updated_at": m.updated_at.isoformat(),
                }
                for m in self.progress.mastery(subject_id)
            ]
        }

    def erase_subject(self, subject_id: str, pseudonym: str) -> dict[str, int]:
        return {"records_deleted": self.progress.erase_learner(subject_id)}
