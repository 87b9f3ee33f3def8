"""Matrix factorisation through ``implicit`` (CPU): ALS and BPR on the learner × item matrix.

These wrap the reference library unchanged (its own ``recommend`` scoring: user factors ·
item factors); a history that is not a training learner is folded in with
``recalculate_user=True`` semantics (ALS) or the mean of its item factors (BPR).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from models.rec.base import FloatArray, IntArray, Recommender, interaction_matrix


class _ImplicitRecommender(Recommender):
    def _make(self) -> Any:
        raise NotImplementedError

    def _fit(self, sequences: list[IntArray], **side_info: Any) -> None:
        from threadpoolctl import threadpool_limits

        matrix = interaction_matrix(sequences, len(self.vocabulary_))
        with threadpool_limits(1, "blas"), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="OpenBLAS is configured")
            model = self._make()
            model.fit(matrix, show_progress=False)
        self._model = model
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float32)

    def _user_vectors(self, histories: list[IntArray]) -> FloatArray:
        return np.stack(
            [
                self.item_factors_[h].mean(axis=0)
                if h.size
                else np.zeros(self.item_factors_.shape[1], dtype=np.float32)
                for h in histories
            ]
        )

    def _score(self, histories: list[IntArray]) -> FloatArray:
        return self._user_vectors(histories) @ self.item_factors_.T

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"item_factors": self.item_factors_}

    def _restore(self, arrays: Mapping[str, np.ndarray], folder: Path) -> None:
        self.item_factors_ = arrays["item_factors"].astype(np.float32)


class ALSRecommender(_ImplicitRecommender):
    """``implicit.als.AlternatingLeastSquares`` (Hu, Koren & Volinsky 2008).

    Parameters
    ----------
    factors, regularization, alpha, iterations, random_state
        Passed to implicit unchanged (defaults: 128, 0.01, 1.0, 15, 0).
    """

    name: ClassVar[str] = "als"

    def __init__(
        self,
        *,
        factors: int = 128,
        regularization: float = 0.01,
        alpha: float = 1.0,
        iterations: int = 15,
        random_state: int = 0,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.random_state = random_state

    def _make(self) -> Any:
        from implicit.cpu.als import AlternatingLeastSquares

        return AlternatingLeastSquares(
            factors=self.factors,
            regularization=self.regularization,
            alpha=self.alpha,
            iterations=self.iterations,
            random_state=self.random_state,
        )

    def _user_vectors(self, histories: list[IntArray]) -> FloatArray:
        # ALS's exact fold-in: solve the regularised least squares for each history.
        Y = self.item_factors_.astype(np.float64)
        gram = Y.T @ Y + self.regularization * np.eye(Y.shape[1])
        out = np.zeros((len(histories), Y.shape[1]), dtype=np.float32)
        for i, h in enumerate(histories):
            if h.size:
                Yh = Y[np.unique(h)]
                A = gram + self.alpha * Yh.T @ Yh
                b = (1.0 + self.alpha) * Yh.sum(axis=0)
                out[i] = np.linalg.solve(A, b)
        return out


class BPRRecommender(_ImplicitRecommender):
    """``implicit.bpr.BayesianPersonalizedRanking`` (Rendle et al. 2009).

    Parameters
    ----------
    factors, learning_rate, regularization, iterations, random_state
        Passed to implicit unchanged (defaults: 128, 0.01, 0.01, 100, 0).
    """

    name: ClassVar[str] = "bpr"

    def __init__(
        self,
        *,
        factors: int = 128,
        learning_rate: float = 0.01,
        regularization: float = 0.01,
        iterations: int = 100,
        random_state: int = 0,
    ) -> None:
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.iterations = iterations
        self.random_state = random_state

    def _make(self) -> Any:
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        return BayesianPersonalizedRanking(
            factors=self.factors,
            learning_rate=self.learning_rate,
            regularization=self.regularization,
            iterations=self.iterations,
            random_state=self.random_state,
        )
