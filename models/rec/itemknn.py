"""Item-based k-nearest neighbours over learner co-occurrence (cosine similarity)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from models.rec.base import FloatArray, IntArray, Recommender, interaction_matrix


class ItemKNNRecommender(Recommender):
    """Score = sum of cosine similarities to the history's items, keeping ``k`` neighbours each.

    Parameters
    ----------
    k : int
        Neighbours kept per item (default 100).
    shrink : float
        Similarity shrinkage toward 0 for rarely co-occurring pairs (default 10).
    recent : int or None
        Use only the last ``recent`` history items (default ``None``: all).
    """

    name: ClassVar[str] = "itemknn"

    def __init__(self, *, k: int = 100, shrink: float = 10.0, recent: int | None = None) -> None:
        self.k = k
        self.shrink = shrink
        self.recent = recent

    def _fit(self, sequences: list[IntArray], **side_info: Any) -> None:
        X = interaction_matrix(sequences, len(self.vocabulary_)).tocsc()
        co = (X.T @ X).tocoo()
        norms = np.sqrt(np.asarray(X.sum(axis=0)).ravel())
        off = co.row != co.col
        rows, cols, values = co.row[off], co.col[off], co.data[off].astype(np.float32)
        sims = values / (norms[rows] * norms[cols] + self.shrink + 1e-9)
        self.similarity_ = _keep_top_k(sp.csr_matrix((sims, (rows, cols)), shape=co.shape), self.k)

    def _score(self, histories: list[IntArray]) -> FloatArray:
        n = len(self.vocabulary_)
        out = np.zeros((len(histories), n), dtype=np.float32)
        for i, h in enumerate(histories):
            items = h if self.recent is None else h[-self.recent :]
            if items.size:
                out[i] = np.asarray(self.similarity_[items].sum(axis=0)).ravel()
        return out

    def _arrays(self) -> dict[str, np.ndarray]:
        s = self.similarity_
        return {"data": s.data, "indices": s.indices, "indptr": s.indptr}

    def _restore(self, arrays: Mapping[str, np.ndarray], folder: Path) -> None:
        n = len(self.vocabulary_)
        self.similarity_ = sp.csr_matrix(
            (arrays["data"], arrays["indices"], arrays["indptr"]), shape=(n, n)
        )


def _keep_top_k(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the ``k`` largest entries of each row."""
    data, indices, indptr = [], [], [0]
    for r in range(matrix.shape[0]):
        start, end = matrix.indptr[r], matrix.indptr[r + 1]
        row_data, row_idx = matrix.data[start:end], matrix.indices[start:end]
        if row_data.size > k:
            keep = np.argpartition(-row_data, k - 1)[:k]
            row_data, row_idx = row_data[keep], row_idx[keep]
        data.append(row_data)
        indices.append(row_idx)
        indptr.append(indptr[-1] + row_data.size)
    return sp.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.array(indptr)), shape=matrix.shape
    )
