"""Logistic KT models on history counts (scikit-learn): PFA and a Best-LR-style model.

Rows are (attempt, skill) pairs, so features are per row: a multi-skill attempt contributes
one row, one set of counts, per skill (the published row protocol). Regularisation strength
``C`` is picked from ``Cs`` on the validation sequences when they are given. Training answers
all right (or all wrong) give an intercept-only model: P = the clipped base rate.
"""

from __future__ import annotations

import math
import warnings
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from models.kt.base import (
    FitProgress,
    FloatArray,
    KTEvent,
    KTModel,
    KTState,
    ProgressCallback,
    SequenceLike,
    infer_sizes,
)
from models.kt.counts import Counts, history_counts
from models.kt.data import Rows, flatten, training_sequences
from models.kt.io import load_payload, save_payload
from models.metrics import roc_auc

NEWTON_MAX_COLUMNS = 3000
ONE_CLASS_CLIP = 1e-3  # P(correct) bounds when training answers are all right or all wrong


@dataclass
class CountState(KTState):
    """Per-skill ``[attempts, successes]`` and the learner's totals."""

    skills: dict[int, list[int]] = field(default_factory=dict)
    attempts: int = 0
    successes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "skills": {str(k): v for k, v in self.skills.items()},
            "attempts": self.attempts,
            "successes": self.successes,
        }


class CountLogistic(KTModel):
    """Shared fitting, prediction and online state of the count-based logistic models."""

    name: ClassVar[str]

    def __init__(self, *, Cs: Sequence[float] = (0.1, 1.0, 10.0), max_iter: int = 200) -> None:
        self.Cs = tuple(Cs)
        self.max_iter = max_iter

    def _classifier(self, C: float) -> LogisticRegression:
        """Newton-Cholesky for few columns (fast, exact); L-BFGS beyond ``NEWTON_MAX_COLUMNS``."""
        solver = "newton-cholesky" if self._n_columns() <= NEWTON_MAX_COLUMNS else "lbfgs"
        return LogisticRegression(C=C, solver=solver, max_iter=self.max_iter, tol=1e-4)

    # -- layout hooks
    @abstractmethod
    def _n_columns(self) -> int: ...

    @abstractmethod
    def _columns(
        self, skill: np.ndarray, problem: np.ndarray, c: Counts
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Column indices and values (one array per feature block, one entry per row)."""

    def _design(self, rows: Rows) -> sparse.csr_matrix:
        skill = np.where((rows.skills >= 1) & (rows.skills <= self.n_skills_), rows.skills, 0)
        problem = np.where(
            (rows.problems >= 1) & (rows.problems <= self.n_problems_), rows.problems, 0
        )
        cols, vals = self._columns(skill, problem, history_counts(rows))
        n = rows.skills.size
        indptr = np.arange(0, n * len(cols) + 1, len(cols))
        indices = np.stack(cols, axis=1).reshape(-1)
        data = np.stack(vals, axis=1).reshape(-1).astype(np.float64)
        return sparse.csr_matrix((data, indices, indptr), shape=(n, self._n_columns()))

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
        candidates = self.Cs if valid is not None else self.Cs[len(self.Cs) // 2 :][:1]
        if np.unique(rows.correct).size < 2:  # one answer class: intercept-only, P = base rate
            p = min(max(self.base_rate_, ONE_CLASS_CLIP), 1.0 - ONE_CLASS_CLIP)
            self.C_, self.coef_ = float(candidates[0]), np.zeros(self._n_columns())
            self.intercept_ = math.log(p / (1.0 - p))
        else:
            self._select(self._design(rows), rows.correct, candidates, valid, progress)
        self._after_fit(rows)
        return self

    def _select(
        self,
        X: sparse.csr_matrix,
        y: np.ndarray,
        candidates: Sequence[float],
        valid: Sequence[SequenceLike] | None,
        progress: ProgressCallback | None,
    ) -> None:
        """Fit one classifier per ``C``; keep the best on ``valid`` (the only one without)."""
        best: tuple[float, LogisticRegression] | None = None
        vrows = flatten(valid) if valid is not None else None
        X_valid = self._design(vrows) if vrows is not None else None
        for i, C in enumerate(candidates):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf = self._classifier(C).fit(X, y)
            score = 0.0
            if vrows is not None:
                score = roc_auc(vrows.correct, clf.predict_proba(X_valid)[:, 1])
            if best is None or score > best[0]:
                best = (score, clf)
            if progress is not None:
                progress(FitProgress("C", i + 1, len(candidates), {"valid_auc": score}))
        assert best is not None
        self.C_ = float(best[1].C)
        self.coef_ = best[1].coef_.ravel().astype(np.float64)
        self.intercept_ = float(best[1].intercept_[0])

    def _after_fit(self, rows: Rows) -> None:
        self._coef_list = self.coef_.tolist()

    def _logits(self, rows: Rows) -> FloatArray:
        return np.asarray(self._design(rows) @ self.coef_ + self.intercept_, dtype=np.float64)

    def predict_proba(self, sequences: Sequence[SequenceLike]) -> list[FloatArray]:
        self._check_fitted()
        rows = flatten(sequences)
        return rows.split(1.0 / (1.0 + np.exp(-self._logits(rows))))

    # -- online
    @abstractmethod
    def _row_logit(self, state: CountState, skill: int, problem: int | None) -> float: ...

    def init_state(self) -> CountState:
        self._check_fitted()
        return CountState()

    def update(self, state: KTState, event: KTEvent) -> CountState:
        assert isinstance(state, CountState)
        skills = {k: list(v) for k, v in state.skills.items()}
        attempts, successes = state.attempts, state.successes
        for skill in event.skills:
            a, s = skills.get(skill, [0, 0])
            skills[skill] = [a + 1, s + int(event.correct)]
            attempts += 1
            successes += int(event.correct)
        return CountState(skills, attempts, successes)

    def predict_next(
        self, state: KTState, skills: Sequence[int], problem: int | None = None
    ) -> float:
        assert isinstance(state, CountState)
        if not skills:
            return self.base_rate_
        return sum(_sigmoid(self._row_logit(state, k, problem)) for k in skills) / len(skills)

    def mastery(self, state: KTState, skills: Sequence[int] | None = None) -> dict[int, float]:
        """P(correct) on an average item of each skill, vectorised over skills."""
        assert isinstance(state, CountState)
        wanted = (
            np.arange(1, self.n_skills_ + 1)
            if skills is None
            else np.asarray(skills, dtype=np.int64)
        )
        k = np.where((wanted >= 1) & (wanted <= self.n_skills_), wanted, 0)
        counts = np.array(
            [state.skills.get(int(w), (0, 0)) for w in wanted], dtype=np.float64
        ).reshape(-1, 2)
        logits = self._skill_logits(state, k, counts[:, 0], counts[:, 1])
        return dict(zip(wanted.tolist(), (1.0 / (1.0 + np.exp(-logits))).tolist(), strict=True))

    @abstractmethod
    def _skill_logits(
        self, state: CountState, k: np.ndarray, attempts: np.ndarray, successes: np.ndarray
    ) -> np.ndarray:
        """Logits of a next row on skills ``k`` (unknown problem) given per-skill counts."""

    def state_from_dict(self, data: Mapping[str, Any]) -> CountState:
        skills = {int(k): [int(x) for x in v] for k, v in data.get("skills", {}).items()}
        return CountState(skills, int(data.get("attempts", 0)), int(data.get("successes", 0)))

    def _skill(self, skill: int) -> int:
        return skill if 1 <= skill <= self.n_skills_ else 0

    # -- persistence
    def _extra_arrays(self) -> dict[str, np.ndarray]:
        return {}

    def save(self, path: str | Path) -> Path:
        self._check_fitted()
        meta = {
            "init": self.get_params(),
            "n_skills": self.n_skills_,
            "n_problems": self.n_problems_,
            "base_rate": self.base_rate_,
            "intercept": self.intercept_,
            "C": self.C_,
        }
        return save_payload(path, self.name, meta, {"coef": self.coef_, **self._extra_arrays()})

    @classmethod
    def load(cls, path: str | Path) -> Self:
        _, meta, arrays = load_payload(path)
        model = cls(**meta["init"])
        model.n_skills_, model.n_problems_ = meta["n_skills"], meta["n_problems"]
        model.base_rate_, model.intercept_, model.C_ = (
            meta["base_rate"],
            meta["intercept"],
            meta["C"],
        )
        model.coef_ = arrays["coef"]
        model._load_extra(arrays)
        model._coef_list = model.coef_.tolist()
        return model

    def _load_extra(self, arrays: Mapping[str, np.ndarray]) -> None:
        return None


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


class PFA(CountLogistic):
    """Performance Factors Analysis: ``logit = b + beta_k + gamma_k * successes_k + rho_k *
    failures_k`` (prior successes/failures of the learner on the row's skill ``k``)."""

    name: ClassVar[str] = "pfa"

    def _n_columns(self) -> int:
        return 3 * (self.n_skills_ + 1)

    def _columns(
        self, skill: np.ndarray, problem: np.ndarray, c: Counts
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        k = self.n_skills_ + 1
        return [skill, skill + k, skill + 2 * k], [
            np.ones(skill.size),
            c.skill_successes,
            c.skill_failures,
        ]

    def _row_logit(self, state: CountState, skill: int, problem: int | None) -> float:
        k = self._skill(skill)
        a, s = state.skills.get(skill, (0, 0))
        w, n = self._coef_list, self.n_skills_ + 1
        return self.intercept_ + w[k] + w[k + n] * s + w[k + 2 * n] * (a - s)

    def _skill_logits(
        self, state: CountState, k: np.ndarray, attempts: np.ndarray, successes: np.ndarray
    ) -> np.ndarray:
        w, n = self.coef_, self.n_skills_ + 1
        return self.intercept_ + w[k] + w[k + n] * successes + w[k + 2 * n] * (attempts - successes)


class BestLR(CountLogistic):
    """Best-LR-style logistic regression (Gervet et al., 2020) without timestamps.

    Features: item (problem) and skill one-hots, ``log(1 + n)`` of the learner's prior
    attempts and successes in total and on the row's skill (skill-specific weights).
    Unknown problems get the mean weight of their skill's problems.
    """

    name: ClassVar[str] = "bestlr"

    def __init__(self, *, Cs: Sequence[float] = (1.0,), max_iter: int = 200) -> None:
        super().__init__(Cs=Cs, max_iter=max_iter)

    def _n_columns(self) -> int:
        return (self.n_problems_ + 1) + 3 * (self.n_skills_ + 1) + 2

    def _offsets(self) -> tuple[int, int, int, int]:
        p, k = self.n_problems_ + 1, self.n_skills_ + 1
        return p, p + k, p + 2 * k, p + 3 * k

    def _columns(
        self, skill: np.ndarray, problem: np.ndarray, c: Counts
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        o_skill, o_att, o_succ, o_tot = self._offsets()
        ones = np.ones(skill.size)
        cols = [
            problem,
            skill + o_skill,
            skill + o_att,
            skill + o_succ,
            np.full(skill.size, o_tot),
            np.full(skill.size, o_tot + 1),
        ]
        vals = [
            ones,
            ones,
            np.log1p(c.skill_attempts),
            np.log1p(c.skill_successes),
            np.log1p(c.total_attempts),
            np.log1p(c.total_successes),
        ]
        return cols, vals

    def _after_fit(self, rows: Rows) -> None:
        super()._after_fit(rows)
        skills = np.where((rows.skills >= 1) & (rows.skills <= self.n_skills_), rows.skills, 0)
        problems = np.where(
            (rows.problems >= 1) & (rows.problems <= self.n_problems_), rows.problems, 0
        )
        w = self.coef_[problems]
        n = self.n_skills_ + 1
        total = np.bincount(skills, weights=w, minlength=n)
        count = np.bincount(skills, minlength=n)
        self.skill_item_mean_ = np.where(count > 0, total / np.maximum(count, 1), 0.0)

    def _logits(self, rows: Rows) -> FloatArray:
        logits = super()._logits(rows)
        if self.n_problems_ > 0:  # unknown problem: the mean weight of the skill's problems
            unknown = (rows.problems < 1) | (rows.problems > self.n_problems_)
            skills = np.where((rows.skills >= 1) & (rows.skills <= self.n_skills_), rows.skills, 0)
            logits = logits + np.where(unknown, self.skill_item_mean_[skills] - self.coef_[0], 0.0)
        return logits

    def _extra_arrays(self) -> dict[str, np.ndarray]:
        return {"skill_item_mean": self.skill_item_mean_}

    def _load_extra(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.skill_item_mean_ = arrays["skill_item_mean"]

    def _skill_logits(
        self, state: CountState, k: np.ndarray, attempts: np.ndarray, successes: np.ndarray
    ) -> np.ndarray:
        o_skill, o_att, o_succ, o_tot = self._offsets()
        w = self.coef_
        return (
            self.intercept_
            + self.skill_item_mean_[k]
            + w[k + o_skill]
            + w[k + o_att] * np.log1p(attempts)
            + w[k + o_succ] * np.log1p(successes)
            + w[o_tot] * math.log1p(state.attempts)
            + w[o_tot + 1] * math.log1p(state.successes)
        )

    def _row_logit(self, state: CountState, skill: int, problem: int | None) -> float:
        k = self._skill(skill)
        o_skill, o_att, o_succ, o_tot = self._offsets()
        w = self._coef_list
        if problem is not None and 1 <= problem <= self.n_problems_:
            item = w[problem]
        else:
            item = float(self.skill_item_mean_[k])
        a, s = state.skills.get(skill, (0, 0))
        return (
            self.intercept_
            + item
            + w[k + o_skill]
            + w[k + o_att] * math.log1p(a)
            + w[k + o_succ] * math.log1p(s)
            + w[o_tot] * math.log1p(state.attempts)
            + w[o_tot + 1] * math.log1p(state.successes)
        )
