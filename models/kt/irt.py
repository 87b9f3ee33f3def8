"""Item response theory (1PL/2PL) for knowledge tracing on learner-disjoint folds.

Fit: joint maximum a posteriori of item parameters and one ability per training sequence
(``theta ~ N(0, 1)``; L-BFGS). Items are problems where the data has problem ids, else skills.
Predict: test learners are new, so each row's ability is the MAP estimate from the learner's
*earlier* rows (Newton's method, all rows at once), i.e. ``P = sigmoid(a_i (theta_t - b_i))``.
Unknown items get their skill's mean parameters (or the overall mean).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit

from models.kt.base import (
    FloatArray,
    KTEvent,
    KTModel,
    KTState,
    ProgressCallback,
    SequenceLike,
    infer_sizes,
)
from models.kt.data import Rows, flatten, training_sequences
from models.kt.io import load_payload, save_payload

NEWTON_STEPS = 8


@dataclass
class IRTState(KTState):
    """The learner's answered items as ``(a, b, correct)`` triples (latest ``window``)."""

    items: list[tuple[float, float, int]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"items": [list(x) for x in self.items]}


def map_ability(
    a: np.ndarray, b: np.ndarray, y: np.ndarray, mask: np.ndarray, prior_var: float
) -> np.ndarray:
    """MAP ability per row of ``mask`` (``(..., T)`` responses visible to each estimate)."""
    theta = np.zeros(mask.shape[:-1])
    for _ in range(NEWTON_STEPS):  # damped Newton: steps of at most 1 logit, theta in [-6, 6]
        p = expit(a * (theta[..., None] - b))
        grad = (mask * a * (y - p)).sum(-1) - theta / prior_var
        hess = -(mask * a * a * p * (1 - p)).sum(-1) - 1.0 / prior_var
        theta = np.clip(theta - np.clip(grad / hess, -1.0, 1.0), -6.0, 6.0)
    return theta


QUERY_BLOCK = 256  # rows whose abilities are estimated together in batch prediction


class IRT(KTModel):
    """IRT with online ability estimates. ``two_pl=False``: Rasch/1PL (all ``a = 1``)."""

    name: ClassVar[str] = "irt"
    two_pl: ClassVar[bool] = False

    def __init__(
        self,
        *,
        l2_items: float = 0.01,
        prior_var: float = 1.0,
        window: int = 200,
        max_iter: int = 300,
    ) -> None:
        self.l2_items = l2_items
        self.prior_var = prior_var
        self.window = window
        self.max_iter = max_iter

    def _items(self, rows: Rows) -> np.ndarray:
        if self.n_problems_:
            known = (rows.problems >= 1) & (rows.problems <= self.n_problems_)
            return np.where(known, rows.problems, 0)
        return np.where((rows.skills >= 1) & (rows.skills <= self.n_skills_), rows.skills, 0)

    def fit(
        self,
        train: Sequence[SequenceLike],
        valid: Sequence[SequenceLike] | None = None,
        *,
        n_skills: int | None = None,
        n_problems: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> Self:
        train = training_sequences(train)
        self.n_skills_, self.n_problems_ = infer_sizes(train, n_skills, n_problems)
        rows = flatten(train)
        self.base_rate_ = float(rows.correct.mean())
        items, y, learner = self._items(rows), rows.correct.astype(float), rows.seq
        n_items, n_learners = (self.n_problems_ or self.n_skills_) + 1, rows.n_sequences
        two = self.two_pl

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            theta, b = w[:n_learners], w[n_learners : n_learners + n_items]
            log_a = w[n_learners + n_items :] if two else np.zeros(n_items)
            a = np.exp(log_a[items])
            z = a * (theta[learner] - b[items])
            p = expit(z)
            nll = -np.sum(y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))
            r = p - y  # d nll / dz
            g_theta = np.bincount(learner, r * a, n_learners) + theta / self.prior_var
            g_b = -np.bincount(items, r * a, n_items) + self.l2_items * b
            reg = 0.5 * np.sum(theta**2) / self.prior_var + 0.5 * self.l2_items * np.sum(b**2)
            grads = [g_theta, g_b]
            if two:
                g_la = np.bincount(items, r * z, n_items) + self.l2_items * 10 * log_a
                reg += 0.5 * self.l2_items * 10 * np.sum(log_a**2)
                grads.append(g_la)
            return float(nll + reg), np.concatenate(grads)

        w0 = np.zeros(n_learners + n_items * (2 if two else 1))
        res = minimize(loss, w0, jac=True, method="L-BFGS-B", options={"maxiter": self.max_iter})
        self.b_ = res.x[n_learners : n_learners + n_items].copy()
        self.a_ = (
            np.clip(np.exp(res.x[n_learners + n_items :]), 0.25, 4.0) if two else np.ones(n_items)
        )
        seen = np.bincount(items, minlength=n_items) > 0
        self._fill_unseen(seen, rows, items)
        return self

    def _fill_unseen(self, seen: np.ndarray, rows: Rows, items: np.ndarray) -> None:
        """Per-skill mean item parameters (cold start), unseen items set to them."""
        n_k = self.n_skills_ + 1
        skills = np.where((rows.skills >= 1) & (rows.skills <= self.n_skills_), rows.skills, 0)
        cnt = np.bincount(skills, minlength=n_k)
        overall_b, overall_a = float(np.mean(self.b_[items])), float(np.mean(self.a_[items]))
        with np.errstate(invalid="ignore", divide="ignore"):
            sb = np.bincount(skills, self.b_[items], n_k) / cnt
            sa = np.bincount(skills, self.a_[items], n_k) / cnt
        self.skill_b_ = np.where(cnt > 0, sb, overall_b)
        self.skill_a_ = np.where(cnt > 0, sa, overall_a)
        self.skill_b_[0], self.skill_a_[0] = overall_b, overall_a
        self.b_[~seen], self.a_[~seen] = overall_b, overall_a
        self.b_[0], self.a_[0] = overall_b, overall_a

    def _row_params(self, rows: Rows) -> tuple[np.ndarray, np.ndarray]:
        items = self._items(rows)
        skills = np.where((rows.skills >= 1) & (rows.skills <= self.n_skills_), rows.skills, 0)
        b = np.where(items > 0, self.b_[items], self.skill_b_[skills])
        a = np.where(items > 0, self.a_[items], self.skill_a_[skills])
        return a, b

    def predict_proba(self, sequences: Sequence[SequenceLike]) -> list[FloatArray]:
        self._check_fitted()
        rows = flatten(sequences)
        a, b = self._row_params(rows)
        out = np.empty(rows.skills.size)
        starts = np.r_[0, np.cumsum(rows.lengths)]
        y = rows.correct.astype(float)
        for i in range(rows.n_sequences):
            # blocks of query rows, each against the window of earlier rows it can see: memory
            # grows with the sequence length, not with its square
            lo, hi = int(starts[i]), int(starts[i + 1])
            for q0 in range(lo, hi, QUERY_BLOCK):
                q1, k0 = min(q0 + QUERY_BLOCK, hi), max(lo, q0 - self.window)
                q, k = np.arange(q0, q1)[:, None], np.arange(k0, q1)[None, :]
                mask = (k < q) & (k >= q - self.window)
                theta = map_ability(a[k0:q1], b[k0:q1], y[k0:q1], mask, self.prior_var)
                out[q0:q1] = expit(a[q0:q1] * (theta - b[q0:q1]))
        return rows.split(out)

    # ------------------------------------------------------------------ online
    def _item_params(self, skill: int, problem: int | None) -> tuple[float, float]:
        k = skill if 1 <= skill <= self.n_skills_ else 0
        if self.n_problems_:
            i = problem if problem is not None and 1 <= problem <= self.n_problems_ else 0
        else:
            i = k
        if i == 0:
            return float(self.skill_a_[k]), float(self.skill_b_[k])
        return float(self.a_[i]), float(self.b_[i])

    def _theta(self, state: IRTState) -> float:
        if not state.items:
            return 0.0
        arr = np.asarray(state.items, dtype=float)
        return float(
            map_ability(arr[:, 0], arr[:, 1], arr[:, 2], np.ones(len(arr)), self.prior_var)
        )

    def init_state(self) -> IRTState:
        self._check_fitted()
        return IRTState()

    def update(self, state: KTState, event: KTEvent) -> IRTState:
        assert isinstance(state, IRTState)
        items = list(state.items)
        for skill in event.skills:
            items.append((*self._item_params(skill, event.problem), int(event.correct)))
        return IRTState(items[-self.window :])

    def predict_next(
        self, state: KTState, skills: Sequence[int], problem: int | None = None
    ) -> float:
        assert isinstance(state, IRTState)
        if not skills:
            return self.base_rate_
        theta = self._theta(state)
        probs = [expit(a * (theta - b)) for a, b in (self._item_params(k, problem) for k in skills)]
        return float(np.mean(probs))

    def mastery(self, state: KTState, skills: Sequence[int] | None = None) -> dict[int, float]:
        assert isinstance(state, IRTState)
        wanted = (
            np.arange(1, self.n_skills_ + 1)
            if skills is None
            else np.asarray(skills, dtype=np.int64)
        )
        k = np.where((wanted >= 1) & (wanted <= self.n_skills_), wanted, 0)
        values = expit(self.skill_a_[k] * (self._theta(state) - self.skill_b_[k]))
        return dict(zip(wanted.tolist(), values.tolist(), strict=True))

    def state_from_dict(self, data: Mapping[str, Any]) -> IRTState:
        return IRTState([(float(a), float(b), int(y)) for a, b, y in data.get("items", [])])

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        self._check_fitted()
        meta = {
            "init": self.get_params(),
            "n_skills": self.n_skills_,
            "n_problems": self.n_problems_,
            "base_rate": self.base_rate_,
        }
        arrays = {"a": self.a_, "b": self.b_, "skill_a": self.skill_a_, "skill_b": self.skill_b_}
        return save_payload(path, self.name, meta, arrays)

    @classmethod
    def load(cls, path: str | Path) -> Self:
        _, meta, arr = load_payload(path)
        model = cls(**meta["init"])
        model.n_skills_, model.n_problems_, model.base_rate_ = (
            meta["n_skills"],
            meta["n_problems"],
            meta["base_rate"],
        )
        model.a_, model.b_, model.skill_a_, model.skill_b_ = (
            arr["a"],
            arr["b"],
            arr["skill_a"],
            arr["skill_b"],
        )
        return model


class IRT1PL(IRT):
    """Rasch model: ``P = sigmoid(theta - b_i)``."""

    name: ClassVar[str] = "irt1pl"


class IRT2PL(IRT):
    """Two-parameter logistic model: ``P = sigmoid(a_i (theta - b_i))``."""

    name: ClassVar[str] = "irt2pl"
    two_pl: ClassVar[bool] = True
