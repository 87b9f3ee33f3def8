"""Ranking metrics for next-item evaluation (one held-out target per learner)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from models.rec.base import IntArray


def target_ranks(scores: npt.NDArray[np.floating], targets: IntArray) -> IntArray:
    """0-based rank of each row's target among that row's finite scores (ties count against).

    A target scored ``-inf`` (excluded) gets rank ``n_items`` (never a hit).
    """
    rows = np.arange(scores.shape[0])
    target_scores = scores[rows, targets]
    ranks = (scores > target_scores[:, None]).sum(axis=1)
    ties = (scores == target_scores[:, None]).sum(axis=1) - 1
    ranks = ranks + ties
    return np.where(np.isfinite(target_scores), ranks, scores.shape[1]).astype(np.int64)


def ndcg_at_k(
    scores: npt.NDArray[np.floating], targets: IntArray, k: int
) -> npt.NDArray[np.float64]:
    """NDCG@k per row with a single relevant item: ``1 / log2(rank + 2)`` if ``rank < k``."""
    ranks = target_ranks(scores, targets)
    return np.where(ranks < k, 1.0 / np.log2(ranks + 2.0), 0.0)


def recall_at_k(
    scores: npt.NDArray[np.floating], targets: IntArray, k: int
) -> npt.NDArray[np.float64]:
    """Hit rate of the single target in the top ``k`` (Recall@k with one relevant item)."""
    return (target_ranks(scores, targets) < k).astype(np.float64)
