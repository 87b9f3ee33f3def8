"""Sequence-aware item-to-item transitions: what learners did ``g`` steps after an item.

``score(item | history) = sum_g decay**(g-1) * P_g(item | history[-g])`` for gaps ``g`` up to
``window``, where ``P_g`` is the row-normalised count of "``b`` came ``g`` steps after ``a``".
With ``item_groups`` (e.g. each item's skill) a group-level Markov term is added:
``group_weight * P(group(item) | group(last)) * P(item | group(item))``, which covers items
whose own transitions are unseen.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from models.rec.base import FloatArray, IntArray, Recommender

EPS = 1e-12


class TransitionRecommender(Recommender):
    """Multi-gap Markov transition model with an optional item-group (skill) term.

    Parameters
    ----------
    window : int
        Largest gap ``g`` (default 5).
    decay : float
        Weight ratio between successive gaps (default 0.5).
    group_weight : float
        Weight of the group term when ``item_groups`` is given to ``fit`` (default 1.0).
    popularity_weight : float
        Weight of normalised popularity, which breaks ties (default 1e-3).

    Attributes
    ----------
    transitions_ : list of scipy.sparse.csr_matrix
        Row-normalised transition probabilities per gap.
    """

    name: ClassVar[str] = "transitions"
    score_kind: ClassVar[str] = "nonnegative"

    def __init__(
        self,
        *,
        window: int = 5,
        decay: float = 0.5,
        group_weight: float = 1.0,
        popularity_weight: float = 1e-3,
    ) -> None:
        self.window = window
        self.decay = decay
        self.group_weight = group_weight
        self.popularity_weight = popularity_weight

    def _fit(
        self,
        sequences: list[IntArray],
        item_groups: Mapping[Hashable, Hashable] | None = None,
        **side_info: Any,
    ) -> None:
        if self.window < 1:
            raise ValueError(f"window must be >= 1, got {self.window}")
        n = len(self.vocabulary_)
        self.transitions_ = [
            _row_normalise(_gap_counts(sequences, g, n)) for g in range(1, self.window + 1)
        ]
        counts = np.bincount(np.concatenate(sequences), minlength=n).astype(np.float64)
        self.popularity_ = (counts / counts.sum()).astype(np.float32)
        self.groups_ = np.full(n, -1, dtype=np.int64)
        self.group_transitions_ = np.zeros((0, 0), dtype=np.float32)
        self.in_group_ = np.zeros(n, dtype=np.float32)
        if item_groups:
            self._fit_groups(sequences, item_groups, counts)

    def _fit_groups(
        self,
        sequences: list[IntArray],
        item_groups: Mapping[Hashable, Hashable],
        counts: np.ndarray,
    ) -> None:
        names = {g: i for i, g in enumerate(dict.fromkeys(item_groups.values()))}
        for i, item in enumerate(self.vocabulary_.items):
            if item in item_groups:
                self.groups_[i] = names[item_groups[item]]
        n_groups = len(names)
        gt = np.zeros((n_groups, n_groups))
        for seq in sequences:
            g = self.groups_[seq]
            ok = (g[:-1] >= 0) & (g[1:] >= 0)
            np.add.at(gt, (g[:-1][ok], g[1:][ok]), 1.0)
        self.group_transitions_ = (gt / np.maximum(gt.sum(axis=1, keepdims=True), EPS)).astype(
            np.float32
        )
        known = self.groups_ >= 0
        group_total = np.bincount(self.groups_[known], weights=counts[known], minlength=n_groups)
        self.in_group_[known] = counts[known] / np.maximum(group_total[self.groups_[known]], EPS)

    def _score(self, histories: list[IntArray]) -> FloatArray:
        n = len(self.vocabulary_)
        out = np.zeros((len(histories), n), dtype=np.float32)
        for i, h in enumerate(histories):
            row = np.zeros(n, dtype=np.float64)
            for gap, matrix in enumerate(self.transitions_, start=1):
                if h.size >= gap:
                    sl = matrix[h[-gap]]
                    row[sl.indices] += self.decay ** (gap - 1) * sl.data
            total = row.sum()
            if total > 0:
                row /= total
            if h.size and self.group_transitions_.size and self.groups_[h[-1]] >= 0:
                g = self.groups_
                has = g >= 0
                row[has] += (
                    self.group_weight
                    * self.group_transitions_[g[h[-1]], g[has]]
                    * self.in_group_[has]
                )
            out[i] = row + self.popularity_weight * self.popularity_
        return out

    def _arrays(self) -> dict[str, np.ndarray]:
        arrays: dict[str, np.ndarray] = {
            "popularity": self.popularity_,
            "groups": self.groups_,
            "group_transitions": self.group_transitions_,
            "in_group": self.in_group_,
        }
        for g, m in enumerate(self.transitions_, start=1):
            arrays |= {f"t{g}_data": m.data, f"t{g}_indices": m.indices, f"t{g}_indptr": m.indptr}
        return arrays

    def _restore(self, arrays: Mapping[str, np.ndarray], folder: Path) -> None:
        n = len(self.vocabulary_)
        self.popularity_ = arrays["popularity"]
        self.groups_ = arrays["groups"]
        self.group_transitions_ = arrays["group_transitions"]
        self.in_group_ = arrays["in_group"]
        self.transitions_ = [
            sp.csr_matrix(
                (arrays[f"t{g}_data"], arrays[f"t{g}_indices"], arrays[f"t{g}_indptr"]),
                shape=(n, n),
            )
            for g in range(1, self.window + 1)
        ]


def _gap_counts(sequences: list[IntArray], gap: int, n: int) -> sp.csr_matrix:
    src = [s[:-gap] for s in sequences if s.size > gap]
    dst = [s[gap:] for s in sequences if s.size > gap]
    if not src:
        return sp.csr_matrix((n, n), dtype=np.float32)
    rows, cols = np.concatenate(src), np.concatenate(dst)
    keep = rows != cols
    data = np.ones(int(keep.sum()), dtype=np.float32)
    return sp.csr_matrix((data, (rows[keep], cols[keep])), shape=(n, n))


def _row_normalise(matrix: sp.csr_matrix) -> sp.csr_matrix:
    sums = np.asarray(matrix.sum(axis=1)).ravel()
    inv = np.where(sums > 0, 1.0 / np.maximum(sums, EPS), 0.0).astype(np.float32)
    return sp.csr_matrix(sp.diags(inv) @ matrix)
