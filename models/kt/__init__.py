"""Knowledge-tracing model zoo: one interface, numpy/scikit-learn/torch models.

Interface (:class:`~models.kt.base.KTModel`, scikit-learn conventions)
----------------------------------------------------------------------
Input
    Any object with ``skills``, ``correct`` (0/1) and ``problems`` (or ``None``) arrays is a
    sequence (:class:`~models.kt.base.SequenceLike`; ``InteractionSequence`` is the concrete
    type, ``features``' ``KTSequence`` works as is). Ids are positive ints, 0 is padding. A row
    is one (attempt, skill) pair: a multi-skill attempt is consecutive rows with the same
    problem id, one per skill. Online input is a :class:`~models.kt.base.KTEvent`
    ``(skills, correct, problem=None)``; a multi-skill event expands to one row per skill.
Batch
    ``model.fit(train, valid=None, n_skills=None, n_problems=None, progress=None) -> model``
    (``valid`` only for early stopping / selection); ``model.predict_proba(sequences)`` ->
    one array per sequence: P(correct) of each row given the rows before it.
Online
    ``state = model.init_state()`` (a new learner); ``state = model.update(state, event)``
    (returns a new state); ``model.predict_next(state, skills, problem=None)`` -> P(correct)
    of a next item (mean over its skills); ``model.mastery(state, skills=None)`` ->
    ``{skill: mastery in [0, 1]}`` (default every skill 1..n_skills_);
    ``model.state_from_history(sequence_or_events)``; states are JSON-serialisable with
    ``state.to_dict()`` / ``model.state_from_dict(d)``.
    Mastery is P(learned) for BKT and the predicted P(correct) on an average item of the
    skill for the other models.
Persistence
    ``model.save(path) -> Path`` writes one ``.npz`` file (no pickle);
    :func:`load_model` (any kind) or ``ModelClass.load(path)`` reads it back.
Cold start (never an exception)
    Unknown learner: ``init_state()`` / an empty history is the prior. Unknown skill id
    (0, negative, > n_skills_ or unseen in training) gets pooled parameters:

    * BKT: the observation-weighted mean parameters; the row updates the learner's
      P(learned) of that id like any skill.
    * PFA, BestLR: the weights of skill slot 0 (fitted on training rows with unknown
      skills, else 0: the intercept alone); the row counts toward the learner's counts of
      that id and, for BestLR, toward the learner's totals.
    * IRT: the mean item parameters of the training rows (a known problem keeps its own);
      the row enters the learner's ability estimate.
    * Deep models: the training base rate for that row; the row does not enter the
      learner's history.

    Unknown problem id: the skill-level answer (problem effects default to 0, the average
    problem).
Errors
    :class:`~models.kt.base.KTError` (a ``ValueError``) and subclasses name the bad value.

Models: ``bkt`` (:mod:`models.kt.bkt`), ``irt1pl``, ``irt2pl``, ``pfa``, ``bestlr``
(logistic family), ``dkt``, ``sakt``, ``akt``, ``simplekt``, ``dkvmn`` (torch; imported lazily
so that numpy-only users never import torch); ``stacked`` (:mod:`models.kt.ensemble`) combines
members by a logistic regression on their logits fitted on the validation rows. Online, the
torch models update their state incrementally (one LSTM step, memory write or attention row;
:mod:`models.kt.deep.base`).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from models.kt.base import (
    FitProgress,
    InteractionSequence,
    InvalidSequenceError,
    KTError,
    KTEvent,
    KTModel,
    KTState,
    ModelFileError,
    NotFittedError,
    SequenceLike,
    UnknownModelError,
)
from models.kt.io import load_payload

REGISTRY: dict[str, str] = {
    "bkt": "models.kt.bkt:BKT",
    "irt1pl": "models.kt.irt:IRT1PL",
    "irt2pl": "models.kt.irt:IRT2PL",
    "pfa": "models.kt.logistic:PFA",
    "bestlr": "models.kt.logistic:BestLR",
    "dkt": "models.kt.deep.dkt:DKT",
    "sakt": "models.kt.deep.sakt:SAKT",
    "akt": "models.kt.deep.akt:AKT",
    "simplekt": "models.kt.deep.simplekt:SimpleKT",
    "dkvmn": "models.kt.deep.dkvmn:DKVMN",
    "stacked": "models.kt.ensemble:StackedKT",
}
MODEL_NAMES = tuple(REGISTRY)
DEEP_MODELS = ("dkt", "sakt", "akt", "simplekt", "dkvmn")


def model_class(name: str) -> type[KTModel]:
    """The class registered under ``name``; :class:`UnknownModelError` lists the known ones."""
    key = name.lower()
    if key not in REGISTRY:
        raise UnknownModelError(f"unknown KT model {name!r}; known: {', '.join(MODEL_NAMES)}")
    module, attr = REGISTRY[key].split(":")
    cls: type[KTModel] = getattr(importlib.import_module(module), attr)
    return cls


def make_model(name: str, **params: Any) -> KTModel:
    """A new unfitted model: ``make_model("akt", d_model=128)``."""
    return model_class(name)(**params)


def load_model(path: str | Path) -> KTModel:
    """Load any model file written by ``KTModel.save``."""
    kind, _, _ = load_payload(path)
    try:
        cls = model_class(kind)
    except UnknownModelError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    return cls.load(path)


__all__ = [
    "DEEP_MODELS",
    "MODEL_NAMES",
    "FitProgress",
    "InteractionSequence",
    "InvalidSequenceError",
    "KTError",
    "KTEvent",
    "KTModel",
    "KTState",
    "ModelFileError",
    "NotFittedError",
    "SequenceLike",
    "UnknownModelError",
    "load_model",
    "make_model",
    "model_class",
]
