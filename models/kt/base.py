"""The common interface of every knowledge-tracing model (summary in :mod:`models.kt`).

Input types here depend on numpy only: anything with ``skills``, ``correct`` and ``problems``
arrays is a sequence (``features.datasets.kt_folds.KTSequence`` qualifies as is).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, Self

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class KTError(ValueError):
    """Base of the knowledge-tracing domain errors (a ``ValueError``: the CLI prints one line)."""


class UnknownModelError(KTError):
    """A model name that is not registered; the message lists the known ones."""


class NotFittedError(KTError):
    """A model was used before :meth:`KTModel.fit` (or :meth:`KTModel.load`)."""


class InvalidSequenceError(KTError):
    """Arrays of different lengths, non-binary responses, an event without skills, or a
    training set without rows (unknown ids, even 0 or negative, are valid: cold start)."""


class ModelFileError(KTError):
    """A model file that is missing, unreadable or malformed; the message names the file."""


class SequenceLike(Protocol):
    """One learner's chronological rows: ``skills[t]``, ``correct[t]`` (0/1), ``problems[t]``.

    A row is one (attempt, skill) pair: an attempt on a multi-skill problem appears as
    consecutive rows with the same problem id, one per skill (the published protocol).
    """

    @property
    def skills(self) -> npt.NDArray[np.integer[Any]]: ...

    @property
    def correct(self) -> npt.NDArray[np.integer[Any]]: ...

    @property
    def problems(self) -> npt.NDArray[np.integer[Any]] | None: ...


@dataclass(frozen=True)
class KTEvent:
    """One answer for online use: the skills it exercises, the outcome, the problem if known.

    Ids are positive integers (0 is reserved for padding); ids the model never saw are valid
    and get prior-based answers (cold start).
    """

    skills: tuple[int, ...]
    correct: bool
    problem: int | None = None

    def __post_init__(self) -> None:
        if not self.skills:
            raise InvalidSequenceError("a KTEvent needs at least one skill id")
        object.__setattr__(self, "skills", tuple(int(s) for s in self.skills))
        object.__setattr__(self, "correct", bool(self.correct))


@dataclass(frozen=True)
class InteractionSequence:
    """A concrete :class:`SequenceLike` (numpy arrays, validated)."""

    skills: IntArray
    correct: npt.NDArray[np.int8]
    problems: IntArray | None = None

    def __post_init__(self) -> None:
        skills = np.asarray(self.skills, dtype=np.int64).reshape(-1)
        correct = np.asarray(self.correct).reshape(-1)
        if correct.size and not np.isin(correct, (0, 1)).all():
            raise InvalidSequenceError("correct must contain only 0 and 1")
        object.__setattr__(self, "skills", skills)
        object.__setattr__(self, "correct", correct.astype(np.int8))
        if self.problems is not None:
            problems = np.asarray(self.problems, dtype=np.int64).reshape(-1)
            object.__setattr__(self, "problems", problems)
            if problems.size != skills.size:
                raise InvalidSequenceError(
                    f"problems has {problems.size} rows but skills has {skills.size}"
                )
        if skills.size != correct.size:
            raise InvalidSequenceError(
                f"skills has {skills.size} rows but correct has {correct.size}"
            )

    def __len__(self) -> int:
        return int(self.correct.size)

    @classmethod
    def from_events(cls, events: Iterable[KTEvent]) -> InteractionSequence:
        """Rows of a list of events; a multi-skill event becomes one row per skill."""
        skills: list[int] = []
        correct: list[int] = []
        problems: list[int] = []
        for event in events:
            for skill in event.skills:
                skills.append(skill)
                correct.append(int(event.correct))
                problems.append(event.problem or 0)
        has_problems = any(problems)
        return cls(
            np.array(skills, dtype=np.int64),
            np.array(correct, dtype=np.int8),
            np.array(problems, dtype=np.int64) if has_problems else None,
        )


def as_sequence(sequence: SequenceLike) -> InteractionSequence:
    """Validate and convert any :class:`SequenceLike`."""
    if isinstance(sequence, InteractionSequence):
        return sequence
    return InteractionSequence(sequence.skills, sequence.correct, sequence.problems)  # type: ignore[arg-type]


@dataclass(frozen=True)
class FitProgress:
    """What :meth:`KTModel.fit` reports.

    ``stage`` (``"em"``, ``"epoch 3"``...), ``done`` of ``total`` steps, latest metrics.
    """

    stage: str
    done: int
    total: int
    metrics: Mapping[str, float] = field(default_factory=dict)


ProgressCallback = Callable[[FitProgress], None]


class KTState(ABC):
    """A learner's online state. Each model has its own subclass; all are JSON-serialisable."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible dict; rebuild with ``model.state_from_dict``."""


class KTModel(ABC):
    """Abstract knowledge-tracing estimator (scikit-learn conventions).

    ``__init__`` stores keyword hyper-parameters; ``fit`` returns ``self`` and sets the learned
    attributes (trailing underscore: ``n_skills_``, ``n_problems_``, ``base_rate_``).
    """

    name: ClassVar[str]
    n_skills_: int
    n_problems_: int
    base_rate_: float

    # ------------------------------------------------------------------ batch API
    @abstractmethod
    def fit(
        self,
        train: Sequence[SequenceLike],
        valid: Sequence[SequenceLike] | None = None,
        *,
        n_skills: int | None = None,
        n_problems: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> Self:
        """Learn from ``train``; ``valid`` (if given) is used for early stopping/selection only.

        ``n_skills`` / ``n_problems`` default to the largest id seen in ``train``.
        """

    @abstractmethod
    def predict_proba(self, sequences: Sequence[SequenceLike]) -> list[FloatArray]:
        """P(correct) of every row of every sequence given only the rows before it."""

    # ------------------------------------------------------------------ online API
    @abstractmethod
    def init_state(self) -> KTState:
        """The state of a learner with no history (unknown learner: the prior)."""

    @abstractmethod
    def update(self, state: KTState, event: KTEvent) -> KTState:
        """State after ``event``; returns a new state and leaves ``state`` unchanged."""

    @abstractmethod
    def predict_next(
        self, state: KTState, skills: Sequence[int], problem: int | None = None
    ) -> float:
        """P(correct) of a next item with these skills (mean over the item's skills)."""

    @abstractmethod
    def mastery(self, state: KTState, skills: Sequence[int] | None = None) -> dict[int, float]:
        """Per-skill mastery in [0, 1] for ``skills`` (default: every skill 1..n_skills_),
        keyed in the order asked (ascending by default)."""

    @abstractmethod
    def state_from_dict(self, data: Mapping[str, Any]) -> KTState:
        """Inverse of :meth:`KTState.to_dict`."""

    def state_from_history(self, history: SequenceLike | Iterable[KTEvent]) -> KTState:
        """The state after a whole history (rows or events); an empty history is valid."""
        state = self.init_state()
        for event in _events(history):
            state = self.update(state, event)
        return state

    # ------------------------------------------------------------------ persistence
    @abstractmethod
    def save(self, path: str | Path) -> Path:
        """Write the fitted model to one file (``.npz``, no pickle); returns the path."""

    @classmethod
    @abstractmethod
    def load(cls, path: str | Path) -> Self:
        """Read a model written by :meth:`save`."""

    def get_params(self) -> dict[str, Any]:
        """Hyper-parameters as given to ``__init__``."""
        return {k: v for k, v in vars(self).items() if not (k.endswith("_") or k.startswith("_"))}

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_skills_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit() or load()")


def _events(history: SequenceLike | Iterable[KTEvent]) -> Iterable[KTEvent]:
    if hasattr(history, "skills") and hasattr(history, "correct"):
        seq = as_sequence(history)  # type: ignore[arg-type]
        problems = seq.problems
        for t in range(len(seq)):
            problem = int(problems[t]) if problems is not None and problems[t] > 0 else None
            yield KTEvent((int(seq.skills[t]),), bool(seq.correct[t]), problem)
    else:
        yield from history


def infer_sizes(
    sequences: Sequence[SequenceLike], n_skills: int | None, n_problems: int | None
) -> tuple[int, int]:
    """``(n_skills, n_problems)``: the given values or the largest ids present."""
    if n_skills is None:
        n_skills = max((int(np.max(s.skills)) for s in sequences if len(s.skills)), default=0)
    if n_problems is None:
        n_problems = max(
            (
                int(np.max(s.problems))
                for s in sequences
                if s.problems is not None and len(s.skills)
            ),
            default=0,
        )
    return int(n_skills), int(n_problems)
