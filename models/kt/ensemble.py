"""``StackedKT``: several KT models combined by a logistic regression on their logits.

Each member is fitted on the training rows (early stopping / selection on ``valid`` as
usual); the combiner ``P = sigmoid(b + sum_i w_i * logit(p_i))`` is then fitted on the
members' predictions for the ``valid`` rows (never on test data). Without ``valid`` the
combiner is the mean of the members' logits.

Why it helps: members err differently. On data where a multi-skill attempt is split into
consecutive rows with the same answer, a recurrent model (DKT) learns to copy the previous
row's answer with near-certainty while a problem-aware model (AKT, IRT) ranks the other rows
better; the combination keeps both strengths.

Online, the state holds one state per member and every query asks every member, so the
latency is the sum of the members' (choose members under the online budget).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression

from models.kt import load_model, make_model
from models.kt.base import (
    FitProgress,
    FloatArray,
    KTError,
    KTEvent,
    KTModel,
    KTState,
    ProgressCallback,
    SequenceLike,
)
from models.kt.io import load_payload, save_payload

DEFAULT_MEMBERS = ("dkt", "simplekt", "irt1pl")
EPS = 1e-6


@dataclass(frozen=True)
class StackedState(KTState):
    """One state per member, in member order."""

    members: tuple[KTState, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"members": [s.to_dict() for s in self.members]}


def logit(p: FloatArray | float) -> FloatArray:
    """Log-odds of probabilities clipped to ``[EPS, 1 - EPS]``."""
    q = np.clip(np.asarray(p, dtype=np.float64), EPS, 1.0 - EPS)
    return np.asarray(np.log(q / (1.0 - q)), dtype=np.float64)


def combiner_weights(
    probabilities: FloatArray, labels: npt.ArrayLike, C: float = 1.0
) -> tuple[FloatArray, float]:
    """``(weights, intercept)`` of the logistic combiner of member predictions.

    ``probabilities`` is ``(n_rows, n_members)``; with fewer than two label classes (or no
    rows) the combiner is the mean of the logits.
    """
    k = probabilities.shape[1]
    y = np.asarray(labels)
    if y.size == 0 or np.unique(y).size < 2:
        return np.full(k, 1.0 / k), 0.0
    combiner = LogisticRegression(C=C, max_iter=1000).fit(logit(probabilities), y)
    return combiner.coef_[0].astype(np.float64), float(combiner.intercept_[0])


class StackedKT(KTModel):
    """Stacked ensemble of KT models (``make_model("stacked", members=("akt", "dkt"))``).

    Parameters
    ----------
    members : sequence of str
        Registered model names, each at most once.
    member_params : mapping of str to mapping, optional
        Hyper-parameters per member name (default: each model's defaults).
    C : float
        Inverse L2 strength of the combiner's logistic regression.
    """

    name: ClassVar[str] = "stacked"

    def __init__(
        self,
        *,
        members: Sequence[str] = DEFAULT_MEMBERS,
        member_params: Mapping[str, Mapping[str, Any]] | None = None,
        C: float = 1.0,
    ) -> None:
        self.members = tuple(members)
        self.member_params = {k: dict(v) for k, v in (member_params or {}).items()}
        self.C = C

    # ------------------------------------------------------------------ batch API
    def fit(
        self,
        train: Sequence[SequenceLike],
        valid: Sequence[SequenceLike] | None = None,
        *,
        n_skills: int | None = None,
        n_problems: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> Self:
        """Fit every member on ``train`` (``valid`` for their early stopping), then the
        combiner on ``valid``."""
        self._check_members()
        fitted = []
        for name in self.members:
            model = make_model(name, **self.member_params.get(name, {}))
            fitted.append(
                model.fit(
                    train,
                    valid,
                    n_skills=n_skills,
                    n_problems=n_problems,
                    progress=_prefixed(progress, name),
                )
            )
        return self.fit_combiner(fitted, valid)

    def fit_combiner(self, fitted: Sequence[KTModel], valid: Sequence[SequenceLike] | None) -> Self:
        """Use already-fitted ``fitted`` members (in ``members`` order) and learn only the
        combiner on ``valid`` (the mean of their logits without it)."""
        self._check_members()
        names = tuple(m.name for m in fitted)
        if names != self.members:
            raise KTError(f"fitted members {names} do not match members={self.members}")
        self.models_ = list(fitted)
        first = self.models_[0]
        self.n_skills_ = max(m.n_skills_ for m in self.models_)
        self.n_problems_ = max(m.n_problems_ for m in self.models_)
        self.base_rate_ = first.base_rate_
        probabilities = np.zeros((0, len(fitted)))
        labels = np.zeros(0, dtype=np.int8)
        if valid:
            probabilities = np.column_stack(
                [np.concatenate(m.predict_proba(valid)) for m in fitted]
            )
            labels = np.concatenate([np.asarray(s.correct) for s in valid])
        self.weights_, self.intercept_ = combiner_weights(probabilities, labels, self.C)
        return self

    def _check_members(self) -> None:
        if not self.members:
            raise KTError("members is empty; give at least one model name")
        if len(set(self.members)) != len(self.members):
            raise KTError(f"members={self.members} repeats a name; each model at most once")
        if self.name in self.members:
            raise KTError("a stacked model cannot be a member of itself")

    def _combine(self, probabilities: Sequence[FloatArray | float]) -> FloatArray:
        z = self.intercept_ + sum(
            w * logit(p) for w, p in zip(self.weights_, probabilities, strict=True)
        )
        return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)

    def predict_proba(self, sequences: Sequence[SequenceLike]) -> list[FloatArray]:
        self._check_fitted()
        per_member = [m.predict_proba(sequences) for m in self.models_]
        return [self._combine(rows) for rows in zip(*per_member, strict=True)]

    # ------------------------------------------------------------------ online API
    def init_state(self) -> StackedState:
        self._check_fitted()
        return StackedState(tuple(m.init_state() for m in self.models_))

    def update(self, state: KTState, event: KTEvent) -> StackedState:
        parts = self._parts(state)
        return StackedState(
            tuple(m.update(s, event) for m, s in zip(self.models_, parts, strict=True))
        )

    def state_from_history(self, history: Any) -> StackedState:
        self._check_fitted()
        if not hasattr(history, "skills"):
            history = list(history)  # an iterable of events is read once per member
        return StackedState(tuple(m.state_from_history(history) for m in self.models_))

    def predict_next(
        self, state: KTState, skills: Sequence[int], problem: int | None = None
    ) -> float:
        parts = self._parts(state)
        pairs = zip(self.models_, parts, strict=True)
        return float(self._combine([m.predict_next(s, skills, problem) for m, s in pairs]))

    def mastery(self, state: KTState, skills: Sequence[int] | None = None) -> dict[int, float]:
        """The combiner applied to the members' mastery of each skill."""
        parts = self._parts(state)
        keys = list(range(1, self.n_skills_ + 1))
        ask: list[int] | None = None  # every member's default (faster) when they agree
        if skills is not None:
            keys = ask = list(dict.fromkeys(int(s) for s in skills))
        elif any(m.n_skills_ != self.n_skills_ for m in self.models_):
            ask = keys
        # members answer in the order asked (the KTModel.mastery contract)
        per_member = [m.mastery(s, ask) for m, s in zip(self.models_, parts, strict=True)]
        combined = self._combine(
            [np.fromiter(m.values(), np.float64, len(keys)) for m in per_member]
        )
        return dict(zip(keys, combined.tolist(), strict=True))

    def state_from_dict(self, data: Mapping[str, Any]) -> StackedState:
        self._check_fitted()
        parts = data["members"]
        if len(parts) != len(self.models_):
            raise KTError(f"state has {len(parts)} member states, model has {len(self.models_)}")
        return StackedState(
            tuple(m.state_from_dict(p) for m, p in zip(self.models_, parts, strict=True))
        )

    def _parts(self, state: KTState) -> tuple[KTState, ...]:
        self._check_fitted()
        if not isinstance(state, StackedState) or len(state.members) != len(self.models_):
            raise KTError(f"expected a StackedState of {len(self.models_)} members, got {state!r}")
        return state.members

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """One ``.npz``: the combiner plus every member's own model file as bytes."""
        self._check_fitted()
        arrays: dict[str, np.ndarray] = {"weights": self.weights_}
        with tempfile.TemporaryDirectory() as tmp:
            for i, model in enumerate(self.models_):
                written = model.save(Path(tmp) / f"member{i}.npz")
                arrays[f"member{i}"] = np.frombuffer(written.read_bytes(), dtype=np.uint8)
        meta = {
            "init": self.get_params(),
            "n_skills": self.n_skills_,
            "n_problems": self.n_problems_,
            "base_rate": self.base_rate_,
            "intercept": self.intercept_,
        }
        return save_payload(path, self.name, meta, arrays)

    @classmethod
    def load(cls, path: str | Path) -> Self:
        _, meta, arrays = load_payload(path)
        model = cls(**meta["init"])
        model.n_skills_, model.n_problems_ = meta["n_skills"], meta["n_problems"]
        model.base_rate_, model.intercept_ = meta["base_rate"], meta["intercept"]
        model.weights_ = np.asarray(arrays["weights"], dtype=np.float64)
        with tempfile.TemporaryDirectory() as tmp:
            model.models_ = []
            for i in range(len(model.members)):
                member = Path(tmp) / f"member{i}.npz"
                member.write_bytes(arrays[f"member{i}"].tobytes())
                model.models_.append(load_model(member))
        return model


def _prefixed(progress: ProgressCallback | None, name: str) -> ProgressCallback | None:
    if progress is None:
        return None

    def report(p: FitProgress) -> None:
        progress(FitProgress(f"{name} {p.stage}", p.done, p.total, p.metrics))

    return report
