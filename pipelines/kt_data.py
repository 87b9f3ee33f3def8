"""Training-set rows ↔ what the models consume: learner split, id vocabularies, sequences.

Rows are one ``(answer, skill)`` pair each, the published protocol of the KT folds: an answer
on a multi-skill item becomes consecutive rows. Models use integer ids ``1..n``; a
:class:`Vocabulary` (built on the training split, shipped with every registered model) maps the
lake's string ids to them, and an id it does not know maps to 0 (the models' cold start).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.kt.base import InteractionSequence
from models.kt.data import chunk_sequences

SPLITS = ("train", "valid", "test")


def assign_split(learners: pd.Series, *, valid: float, test: float, seed: int) -> pd.Series:
    """``train``/``valid``/``test`` per learner from a seeded hash (stable, order-free)."""

    def bucket(learner: str) -> str:
        digest = hashlib.md5(f"split:{seed}:{learner}".encode(), usedforsecurity=False).digest()
        u = int.from_bytes(digest[:8], "big") / 2**64
        return "test" if u < test else "valid" if u < test + valid else "train"

    unique = pd.Series(learners.unique())
    mapping = dict(zip(unique, unique.map(bucket), strict=True))
    return learners.map(mapping)


@dataclass
class Vocabulary:
    """String skill / item ids → model ids (``1..n``; 0 = unknown)."""

    skills: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._skill = {s: i + 1 for i, s in enumerate(self.skills)}
        self._item = {s: i + 1 for i, s in enumerate(self.items)}

    @classmethod
    def build(cls, rows: pd.DataFrame) -> Vocabulary:
        """Sorted ids of ``rows`` (use the training split)."""
        return cls(sorted(rows["skill_id"].unique()), sorted(rows["item_id"].unique()))

    @property
    def n_skills(self) -> int:
        return len(self.skills)

    @property
    def n_items(self) -> int:
        return len(self.items)

    def skill_ids(self, values: Iterable[str]) -> np.ndarray:
        return np.fromiter((self._skill.get(v, 0) for v in values), dtype=np.int64)

    def item_ids(self, values: Iterable[str]) -> np.ndarray:
        return np.fromiter((self._item.get(v, 0) for v in values), dtype=np.int64)

    def to_json(self) -> str:
        return json.dumps({"skills": self.skills, "items": self.items})

    def save(self, path: Path) -> Path:
        path.write_text(self.to_json())
        return path

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        data: dict[str, Any] = json.loads(path.read_text())
        return cls(list(data["skills"]), list(data["items"]))


@dataclass(frozen=True)
class LearnerSequences:
    """One split's sequences, aligned with the learners and row positions they come from."""

    learners: list[str]
    sequences: list[InteractionSequence]
    row_index: list[np.ndarray]

    def chunks(self, max_len: int) -> list[InteractionSequence]:
        """Sequences cut into chunks of ``max_len`` rows (the published protocol)."""
        return chunk_sequences(self.sequences, max_len)


def sequences(rows: pd.DataFrame, vocab: Vocabulary) -> LearnerSequences:
    """Per-learner sequences of ``rows`` (already in learner, time order)."""
    skills = vocab.skill_ids(rows["skill_id"])
    items = vocab.item_ids(rows["item_id"])
    correct = rows["correct"].to_numpy(dtype=np.int8)
    positions = np.arange(len(rows))
    learners, out, index = [], [], []
    codes, uniques = pd.factorize(rows["learner_id"], sort=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    for group in np.split(order, bounds) if len(order) else []:
        learners.append(str(uniques[codes[group[0]]]))
        out.append(InteractionSequence(skills[group], correct[group], items[group]))
        index.append(positions[group])
    return LearnerSequences(learners, out, index)


def chunk_rows(seqs: LearnerSequences, max_len: int) -> np.ndarray:
    """Row positions in the order of :meth:`LearnerSequences.chunks`' concatenated rows."""
    parts = [idx for idx in seqs.row_index if len(idx)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
