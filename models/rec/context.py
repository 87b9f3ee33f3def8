"""Local context co-occurrence: items that learners do near the learner's recent items.

Counts of "``b`` came ``g`` steps after ``a``" for gaps ``g = 1..window`` are summed with weight
``gap_decay**(g-1)``, forward links plus ``backward`` times the reversed ones (so items done in
any order inside the same exercise pool support each other), row-normalised and divided by
each target item's total count to the power ``popularity_discount``. A history is scored by a
recency-weighted sum over its last ``recent`` items::

    score(c | h) = sum_j recency_decay**j * M[h[-1-j], c]      (j = 0 .. recent-1)

Unlike :class:`~models.rec.transitions.TransitionRecommender`, which only looks forward from
each history item at one gap, this lets every recent item vote for its whole neighbourhood.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from models.rec.base import FloatArray, IntArray, RecError, Recommender
from models.rec.transitions import _gap_counts, _row_normalise

TIE_BREAK = 1e-6  # weight of normalised popularity: orders cold starts and unscored items


class ContextRecommender(Recommender):
    """Windowed, bidirectional item co-occurrence queried by the learner's recent items.

    Parameters
    ----------
    window : int
        Largest gap counted between two items of a sequence (default 8).
    gap_decay : float
        Weight ratio between successive gaps (default 0.85).
    backward : float
        Weight of reversed links ("``a`` came before ``b``" supporting ``a`` after ``b``);
        0 keeps only forward transitions (default 0.7).
    recent : int
        History items that vote, most recent first (default 5).
    recency_decay : float
        Weight ratio between successive history items (default 0.5).
    popularity_discount : float
        Exponent of the target item's count dividing its score; 0 leaves it as a
        conditional probability, larger values favour specific neighbours (default 0.15).

    Attributes
    ----------
    neighbours_ : scipy.sparse.csr_matrix
        ``(n_items, n_items)`` item-to-item weights used for scoring.
    popularity_ : ndarray
        Normalised item counts (tie-break and cold start).
    """

    name: ClassVar[str] = "context"
    score_kind: ClassVar[str] = "nonnegative"

    def __init__(
        self,
        *,
        window: int = 8,
        gap_decay: float = 0.85,
        backward: float = 0.7,
        recent: int = 5,
        recency_decay: float = 0.5,
        popularity_discount: float = 0.15,
    ) -> None:
        self.window = window
        self.gap_decay = gap_decay
        self.backward = backward
        self.recent = recent
        self.recency_decay = recency_decay
        self.popularity_discount = popularity_discount

    def _fit(self, sequences: list[IntArray], **side_info: Any) -> None:
        if self.window < 1 or self.recent < 1:
            raise RecError(
                f"window and recent must be >= 1, got window={self.window}, recent={self.recent}"
            )
        if self.backward < 0 or self.popularity_discount < 0:
            raise RecError(
                "backward and popularity_discount must be >= 0, got "
                f"backward={self.backward}, popularity_discount={self.popularity_discount}"
            )
        n = len(self.vocabulary_)
        links = sp.csr_matrix((n, n), dtype=np.float32)
        for gap in range(1, self.window + 1):
            forward = _gap_counts(sequences, gap, n)
            links = links + self.gap_decay ** (gap - 1) * (forward + self.backward * forward.T)
        counts = np.bincount(np.concatenate(sequences), minlength=n).astype(np.float64)
        discount = np.maximum(counts, 1.0) ** -self.popularity_discount
        self.neighbours_ = sp.csr_matrix(
            _row_normalise(sp.csr_matrix(links, dtype=np.float32))
            @ sp.diags(discount.astype(np.float32))
        )
        self.popularity_ = (counts / counts.sum()).astype(np.float32)

    def _score(self, histories: list[IntArray]) -> FloatArray:
        n = len(self.vocabulary_)
        out = np.zeros((len(histories), n), dtype=np.float32)
        for i, h in enumerate(histories):
            tail = h[::-1][: self.recent]
            if tail.size:
                weights = self.recency_decay ** np.arange(tail.size, dtype=np.float32)
                out[i] = self.neighbours_[tail].T @ weights
        return out + TIE_BREAK * self.popularity_

    def _arrays(self) -> dict[str, np.ndarray]:
        m = self.neighbours_
        return {
            "data": m.data,
            "indices": m.indices,
            "indptr": m.indptr,
            "popularity": self.popularity_,
        }

    def _restore(self, arrays: Mapping[str, np.ndarray], folder: Path) -> None:
        n = len(self.vocabulary_)
        self.neighbours_ = sp.csr_matrix(
            (arrays["data"], arrays["indices"], arrays["indptr"]), shape=(n, n)
        )
        self.popularity_ = arrays["popularity"]
