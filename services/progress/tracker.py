"""Online mastery updates: LearningEvent → KT model update → progress store → ProgressUpdates.

The KT model comes from ``models.kt`` through its common interface: the registered champion
when ``LEARNLOOP_PROGRESS__KT_MODEL_PATH`` points at a model file, else BKT with the content
pack's per-skill parameters. Skill names map to the model's integer ids through the content
pack's skill vocabulary (sorted); skills outside it get stable ids above it, which every model
treats as cold-start skills.

Idempotency: an event already applied is recognised by its id, and the ProgressUpdateEvents it
produced are re-emitted with the same ids (uuid5 of cause and skill), so a crash between the
store write and the publish loses nothing and duplicates nothing downstream.
"""

from __future__ import annotations

import json
import logging
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from features.events import LearningEvent, ProgressUpdateEvent
from models.kt import KTEvent, KTModel, load_model
from models.kt.io import save_payload
from services.progress.store import ProgressStore, SkillUpdate, StaleStateError

logger = logging.getLogger(__name__)
PROGRESS_NAMESPACE = uuid.UUID("8b1f7f0e-52c4-4c1e-a0c7-1f0bd2c5e6a1")
DEFAULT_BKT = {"prior": 0.1, "learn": 0.1, "forget": 0.0, "guess": 0.1, "slip": 0.1}
OUT_OF_VOCABULARY = 1_000_000
MAX_RETRIES = 5


def skill_vocabulary(content_dir: Path | None) -> tuple[list[str], dict[str, dict[str, float]]]:
    """Sorted skill names of the content pack and their BKT parameters (empty without pack)."""
    if content_dir is None or not (content_dir / "skills.json").is_file():
        return [], {}
    skills = json.loads((content_dir / "skills.json").read_text(encoding="utf-8"))["skills"]
    params = {}
    for name, record in skills.items():
        bkt = record.get("bkt") or {}
        params[name] = {
            "prior": float(bkt.get("probMastery", DEFAULT_BKT["prior"])),
            "learn": float(bkt.get("probTransit", DEFAULT_BKT["learn"])),
            "forget": 0.0,
            "guess": float(bkt.get("probGuess", DEFAULT_BKT["guess"])),
            "slip": float(bkt.get("probSlip", DEFAULT_BKT["slip"])),
        }
    return sorted(params), params


def write_default_bkt(
    path: Path, vocabulary: list[str], params: dict[str, dict[str, float]]
) -> Path:
    """A BKT model file whose per-skill parameters are the content pack's (index 0: defaults)."""
    arrays = {}
    for name in ("prior", "learn", "forget", "guess", "slip"):
        values = [DEFAULT_BKT[name]] + [params[s][name] for s in vocabulary]
        arrays[name] = np.clip(np.array(values, dtype=np.float64), 1e-4, 1 - 1e-4)
    arrays["forget"] = np.zeros(len(vocabulary) + 1)
    meta = {
        "init": {"forgetting": False},
        "n_skills": len(vocabulary),
        "n_problems": 0,
        "base_rate": 0.5,
        "loglik": 0.0,
    }
    return save_payload(path, "bkt", meta, arrays)


class MasteryTracker:
    """Apply LearningEvents to a KT model and a progress store."""

    def __init__(
        self,
        *,
        model: KTModel,
        model_label: str,
        vocabulary: list[str],
        store: ProgressStore,
        publish: Callable[[ProgressUpdateEvent], None],
    ):
        self.model = model
        self.model_label = model_label
        self.index = {name: i + 1 for i, name in enumerate(vocabulary)}
        self.store = store
        self.publish = publish

    @classmethod
    def from_files(
        cls,
        *,
        model_path: Path | None,
        default_dir: Path,
        content_dir: Path | None,
        store: ProgressStore,
        publish: Callable[[ProgressUpdateEvent], None],
    ) -> MasteryTracker:
        """The champion model at ``model_path``, else BKT with the content pack parameters."""
        vocabulary, params = skill_vocabulary(content_dir)
        if model_path is not None:
            model = load_model(model_path)
            label = f"{model.name}:{model_path.stem}"
        else:
            path = write_default_bkt(default_dir / "progress-bkt.npz", vocabulary, params)
            model = load_model(path)
            label = "bkt:content-pack"
        return cls(
            model=model, model_label=label, vocabulary=vocabulary, store=store, publish=publish
        )

    @property
    def model_name(self) -> str:
        """Name of the KT model in use."""
        return self.model.name

    @property
    def model_version(self) -> str:
        """Version label of the KT model in use."""
        return self.model_label.split(":", 1)[-1]

    def skill_id(self, name: str) -> int:
        """The model's integer id of a skill name."""
        known = self.index.get(name)
        if known is not None:
            return known
        return len(self.index) + 1 + zlib.crc32(name.encode()) % OUT_OF_VOCABULARY

    def handle(self, payload: bytes) -> None:
        """Consume one LearningEventStream message (raises on malformed input: dead letter)."""
        event = LearningEvent.model_validate_json(payload)
        for update in self.apply(event):
            self.publish(update)

    def apply(self, event: LearningEvent) -> list[ProgressUpdateEvent]:
        """Update mastery for an answer; the ProgressUpdateEvents to publish (maybe none)."""
        if event.correct is None or not event.skill_ids:
            return []
        skills = list(dict.fromkeys(event.skill_ids))
        event_id = str(event.event_id)
        for _ in range(MAX_RETRIES):
            done = self.store.processed(event.learner_id, event_id)
            if done is not None:
                return self._events(event, done)
            snapshot = self.store.load(event.learner_id, skills)
            state = (
                self.model.state_from_dict(snapshot.state)
                if snapshot.state is not None
                else self.model.init_state()
            )
            ids = [self.skill_id(s) for s in skills]
            before = self.model.mastery(state, ids)
            after_state = self.model.update(state, KTEvent(tuple(ids), bool(event.correct)))
            after = self.model.mastery(after_state, ids)
            updates = [
                SkillUpdate(
                    skill_id=skill,
                    mastery=float(min(1.0, max(0.0, after[i]))),
                    previous=float(min(1.0, max(0.0, before[i])))
                    if skill in snapshot.mastery
                    else None,
                    correct=bool(event.correct),
                )
                for skill, i in zip(skills, ids, strict=True)
            ]
            try:
                self.store.apply(
                    event_id=event_id,
                    learner_id=event.learner_id,
                    model=self.model_label,
                    state=after_state.to_dict(),
                    expected_version=snapshot.version,
                    updates=updates,
                    at=event.timestamp,
                )
            except StaleStateError:
                logger.info("progress: concurrent update of a learner; retrying")
                continue
            return self._events(event, updates)
        raise StaleStateError(f"could not apply {event_id} after {MAX_RETRIES} attempts")

    def _events(
        self, event: LearningEvent, updates: list[SkillUpdate]
    ) -> list[ProgressUpdateEvent]:
        return [
            ProgressUpdateEvent(
                event_id=uuid.uuid5(PROGRESS_NAMESPACE, f"{event.event_id}/{u.skill_id}"),
                learner_id=event.learner_id,
                skill_id=u.skill_id,
                mastery=u.mastery,
                previous_mastery=u.previous,
                model_name=self.model_name,
                model_version=self.model_version[:64],
                cause_event_id=event.event_id,
                timestamp=event.timestamp,
            )
            for u in updates
        ]


def describe(tracker: MasteryTracker) -> dict[str, Any]:
    """What model the tracker runs."""
    return {"model_name": tracker.model_name, "model_version": tracker.model_version}
