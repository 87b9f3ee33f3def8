"""Popularity: how many learners used each item (the cold-start fallback)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from models.rec.base import FloatArray, IntArray, Recommender


class PopularityRecommender(Recommender):
    """Scores every item by the number of distinct learners who interacted with it.

    Attributes
    ----------
    counts_ : ndarray of shape (n_items,)
        Distinct-learner counts, aligned with ``vocabulary_.items``.
    """

    name: ClassVar[str] = "popularity"

    def _fit(self, sequences: list[IntArray], **side_info: Any) -> None:
        n = len(self.vocabulary_)
        counts = np.zeros(n, dtype=np.float32)
        for seq in sequences:
            counts[np.unique(seq)] += 1.0
        self.counts_: FloatArray = counts

    def _score(self, histories: list[IntArray]) -> FloatArray:
        return np.tile(self.counts_, (len(histories), 1))

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"counts": self.counts_}

    def _restore(self, arrays: Mapping[str, np.ndarray], folder: Path) -> None:
        self.counts_ = arrays["counts"].astype(np.float32)
