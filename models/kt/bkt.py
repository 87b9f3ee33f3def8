"""Bayesian Knowledge Tracing: one two-state HMM per skill, fitted by vectorised EM.

Multi-skill items: a row is one (attempt, skill) pair, so an attempt on a problem with several
skills is one observation of *each* of its skills' HMMs (the rows of the published protocol);
the skills' states stay independent. Online, :meth:`BKT.update` applies the outcome to every
skill of the event and :meth:`BKT.predict_next` averages the per-skill predictions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from models.kt import hmm
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
from models.kt.data import Rows, flatten, training_sequences
from models.kt.io import load_payload, save_payload

FIELDS = ("prior", "learn", "forget", "guess", "slip")
LO, HI = 1e-4, 1.0 - 1e-4


@dataclass
class BKTState(KTState):
    """P(learned) of every skill the learner has practised (others: the skill's prior)."""

    p_learned: dict[int, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"p_learned": {str(k): v for k, v in self.p_learned.items()}}


class BKT(KTModel):
    """Per-skill BKT with learn, forget, guess and slip, fitted by EM (Baum-Welch).

    Parameters
    ----------
    forgetting : bool
        Fit a forget probability (default False: classic BKT, P(F) = 0).
    n_restarts : int
        EM runs per skill (the first from a fixed start, the rest random); the run with the
        best training log-likelihood is kept per skill.
    max_iter, tol : int, float
        EM stops after ``max_iter`` iterations or when the relative log-likelihood gain < tol.
    max_guess, max_slip : float
        Upper bounds that keep the "learned" state the more-often-correct one.
    pseudo_count : float
        Weight (in observations) of the initial values in each M-step: keeps rarely seen
        skills near sensible defaults.
    seed : int
        Seed of the random restarts.

    Attributes
    ----------
    params_ : dict of str to ndarray
        ``prior, learn, forget, guess, slip``, each of length ``n_skills_ + 1``; index 0 (and
        any skill absent from training) holds the observation-weighted mean: the cold-start
        parameters of an unknown skill.
    loglik_ : float
        Training log-likelihood of the final parameters.
    """

    name: ClassVar[str] = "bkt"

    def __init__(
        self,
        *,
        forgetting: bool = False,
        n_restarts: int = 3,
        max_iter: int = 100,
        tol: float = 1e-5,
        max_guess: float = 0.5,
        max_slip: float = 0.5,
        pseudo_count: float = 1.0,
        seed: int = 0,
    ) -> None:
        self.forgetting = forgetting
        self.n_restarts = n_restarts
        self.max_iter = max_iter
        self.tol = tol
        self.max_guess = max_guess
        self.max_slip = max_slip
        self.pseudo_count = pseudo_count
        self.seed = seed

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        train: Sequence[SequenceLike],
        valid: Sequence[SequenceLike] | None = None,
        *,
        n_skills: int | None = None,
        n_problems: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> Self:
        """Fit every skill's HMM by EM on ``train`` (``valid`` is not needed and ignored)."""
        if self.n_restarts < 1 or self.max_iter < 1:
            raise ValueError(
                f"n_restarts and max_iter must be >= 1, got {self.n_restarts}, {self.max_iter}"
            )
        train = training_sequences(train)
        self.n_skills_, self.n_problems_ = infer_sizes(train, n_skills, n_problems)
        rows = flatten(train)
        self.base_rate_ = float(rows.correct.mean())
        n_keys = self.n_skills_ + 1
        known = (rows.skills >= 1) & (rows.skills <= self.n_skills_)
        skills = np.where(known, rows.skills, 0)
        group = rows.seq * n_keys + skills
        restarts = self.n_restarts
        # replicate every subsequence once per restart: key = restart * n_keys + skill
        all_group = np.concatenate([group + r * rows.seq.size * n_keys for r in range(restarts)])
        all_key = np.concatenate([skills + r * n_keys for r in range(restarts)])
        layout = hmm.build_layout(all_group, all_key)
        obs = np.tile(rows.correct, restarts)[layout.rows].astype(bool)
        init = self._initial(restarts * n_keys)
        params = self._em(layout, obs, init, restarts * n_keys, progress)
        self.params_ = self._pick_restarts(layout, obs, params, restarts, n_keys, skills)
        self.loglik_ = float(self._loglik(rows, self.params_))
        self._cache_online()
        return self

    def _initial(self, n: int) -> hmm.Params:
        rng = np.random.default_rng(self.seed)
        n_skill_keys = n // self.n_restarts
        fixed = {
            "prior": 0.5,
            "learn": 0.15,
            "forget": 0.02 if self.forgetting else 0.0,
            "guess": 0.2,
            "slip": 0.1,
        }
        random = {
            "prior": rng.uniform(0.05, 0.95, n),
            "learn": rng.uniform(0.01, 0.5, n),
            "forget": rng.uniform(0.0, 0.1, n) if self.forgetting else np.zeros(n),
            "guess": rng.uniform(0.01, min(0.4, self.max_guess), n),
            "slip": rng.uniform(0.01, min(0.4, self.max_slip), n),
        }
        values = {}
        for f in FIELDS:
            arr = random[f].copy()
            arr[:n_skill_keys] = fixed[f]
            values[f] = arr
        self._defaults = fixed
        return hmm.Params(**values)

    def _em(
        self,
        layout: hmm.Layout,
        obs: np.ndarray,
        params: hmm.Params,
        n_keys: int,
        progress: ProgressCallback | None,
    ) -> hmm.Params:
        key_tm = layout.sub_key[layout.sub_of]
        first = slice(0, int(layout.counts[0]) if layout.n_steps else 0)
        c = self.pseudo_count
        d = self._defaults
        n_sub = np.bincount(layout.sub_key, minlength=n_keys).astype(float)
        previous = -np.inf
        for it in range(self.max_iter):
            stats = hmm.forward_backward(layout, obs, params.take(layout.sub_key))
            g1 = stats.gamma
            g0 = 1.0 - g1
            nxt = stats.has_next

            def total(values: FloatArray, keys: np.ndarray = key_tm) -> FloatArray:
                return hmm.per_key_sum(values, keys, n_keys)

            prior = (hmm.per_key_sum(g1[first], layout.sub_key, n_keys) + c * d["prior"]) / (
                n_sub + c
            )
            learn = (total(stats.xi_learn) + c * d["learn"]) / (total(g0 * nxt) + c)
            guess = (total(g0 * obs) + c * d["guess"]) / (total(g0) + c)
            slip = (total(g1 * ~obs) + c * d["slip"]) / (total(g1) + c)
            if self.forgetting:
                forget = (total(stats.xi_forget) + c * d["forget"]) / (total(g1 * nxt) + c)
            else:
                forget = np.zeros(n_keys)
            params = hmm.Params(
                np.clip(prior, LO, HI),
                np.clip(learn, LO, HI),
                np.clip(forget, 0.0, HI),
                np.clip(guess, LO, self.max_guess),
                np.clip(slip, LO, self.max_slip),
            )
            if progress is not None:
                progress(FitProgress("em", it + 1, self.max_iter, {"loglik": stats.loglik}))
            if abs(stats.loglik - previous) <= self.tol * abs(stats.loglik):
                break
            previous = stats.loglik
        self.n_iter_ = it + 1
        return params

    def _pick_restarts(
        self,
        layout: hmm.Layout,
        obs: np.ndarray,
        params: hmm.Params,
        restarts: int,
        n_keys: int,
        skills: np.ndarray,
    ) -> dict[str, FloatArray]:
        _, _, scale = hmm.forward(layout, obs, params.take(layout.sub_key))
        key_tm = layout.sub_key[layout.sub_of]
        ll = hmm.per_key_sum(np.log(np.maximum(scale, hmm.EPS)), key_tm, restarts * n_keys)
        best = np.argmax(ll.reshape(restarts, n_keys), axis=0)
        index = best * n_keys + np.arange(n_keys)
        chosen = {f: getattr(params, f)[index].copy() for f in FIELDS}
        counts = np.bincount(skills, minlength=n_keys).astype(float)
        counts[0] = 0.0
        weights = counts / max(counts.sum(), 1.0)
        for f in FIELDS:
            mean = float((chosen[f] * weights).sum()) if counts.sum() else self._defaults[f]
            chosen[f][counts == 0] = mean
        return chosen

    # ------------------------------------------------------------------ batch prediction
    def _forward_rows(
        self, rows: Rows, params: Mapping[str, FloatArray]
    ) -> tuple[FloatArray, FloatArray]:
        """Per-row P(correct) before and the log observation likelihood, in row order."""
        known = (rows.skills >= 1) & (rows.skills <= self.n_skills_)
        key = np.where(known, rows.skills, 0)
        _, compact = np.unique(rows.skills, return_inverse=True)
        layout = hmm.build_layout(rows.seq * (compact.max(initial=0) + 1) + compact, key)
        obs = rows.correct[layout.rows].astype(bool)
        p = hmm.Params(*(np.asarray(params[f]) for f in FIELDS)).take(layout.sub_key)
        pred_tm, _, scale_tm = hmm.forward(layout, obs, p)
        pred = np.empty(rows.skills.size)
        pred[layout.rows] = pred_tm
        scale = np.empty(rows.skills.size)
        scale[layout.rows] = scale_tm
        return pred, scale

    def _loglik(self, rows: Rows, params: Mapping[str, FloatArray]) -> float:
        _, scale = self._forward_rows(rows, params)
        return float(np.log(np.maximum(scale, hmm.EPS)).sum())

    def predict_proba(self, sequences: Sequence[SequenceLike]) -> list[FloatArray]:
        self._check_fitted()
        rows = flatten(sequences)
        pred, _ = self._forward_rows(rows, self.params_)
        return rows.split(pred)

    # ------------------------------------------------------------------ online
    def _cache_online(self) -> None:
        arrays = [self.params_[f].tolist() for f in FIELDS]
        self._skill_params: list[tuple[float, ...]] = list(zip(*arrays, strict=True))

    def _p(self, skill: int) -> tuple[float, ...]:
        return self._skill_params[skill if 1 <= skill <= self.n_skills_ else 0]

    def init_state(self) -> BKTState:
        self._check_fitted()
        return BKTState()

    def update(self, state: KTState, event: KTEvent) -> BKTState:
        assert isinstance(state, BKTState)
        new = dict(state.p_learned)
        for skill in event.skills:
            prior, learn, forget, guess, slip = self._p(skill)
            p = new.get(skill, prior)
            if event.correct:
                num = p * (1.0 - slip)
                post = num / (num + (1.0 - p) * guess)
            else:
                num = p * slip
                post = num / (num + (1.0 - p) * (1.0 - guess))
            new[skill] = post * (1.0 - forget) + (1.0 - post) * learn
        return BKTState(new)

    def predict_next(
        self, state: KTState, skills: Sequence[int], problem: int | None = None
    ) -> float:
        assert isinstance(state, BKTState)
        if not skills:
            return self.base_rate_
        total = 0.0
        for skill in skills:
            prior, _, _, guess, slip = self._p(skill)
            p = state.p_learned.get(skill, prior)
            total += p * (1.0 - slip) + (1.0 - p) * guess
        return total / len(skills)

    def mastery(self, state: KTState, skills: Sequence[int] | None = None) -> dict[int, float]:
        assert isinstance(state, BKTState)
        wanted = range(1, self.n_skills_ + 1) if skills is None else skills
        known = state.p_learned
        return {int(k): known.get(k, self._p(k)[0]) for k in wanted}

    def state_from_dict(self, data: Mapping[str, Any]) -> BKTState:
        return BKTState({int(k): float(v) for k, v in data.get("p_learned", {}).items()})

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        self._check_fitted()
        meta = {
            "init": self.get_params(),
            "n_skills": self.n_skills_,
            "n_problems": self.n_problems_,
            "base_rate": self.base_rate_,
            "loglik": self.loglik_,
            "n_iter": getattr(self, "n_iter_", None),
        }
        return save_payload(path, self.name, meta, dict(self.params_))

    @classmethod
    def load(cls, path: str | Path) -> Self:
        _, meta, arrays = load_payload(path)
        model = cls(**meta["init"])
        model.n_skills_, model.n_problems_ = meta["n_skills"], meta["n_problems"]
        model.base_rate_, model.loglik_ = meta["base_rate"], meta["loglik"]
        if meta.get("n_iter") is not None:  # absent from files written before it was kept
            model.n_iter_ = meta["n_iter"]
        model.params_ = {f: arrays[f] for f in FIELDS}
        model._cache_online()
        return model
