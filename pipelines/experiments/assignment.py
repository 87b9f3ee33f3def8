"""Deterministic hash assignment of learners to experiment variants, and exposure logging.

``assign(experiment, learner_id)`` needs no state and no network: the same learner always
gets the same variant of the same experiment, on every replica. Two independent hashes of the
learner id (salted with the experiment's salt) decide whether the learner is in the traffic
share and, if so, which variant (by cumulative allocation weights). Changing an experiment's
salt re-randomises it; experiments with different salts are independent of each other.

Serving (RES, LPS) calls :meth:`Assigner.assignments` once per request and logs the result in
``LearningEvent.context.experiments`` together with the serving propensity, via
:func:`exposure_context`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from features.events import EventContext
from pipelines.experiments.definitions import Experiment, ExperimentRegistry

_SCALE = float(2**64)


def hash_unit(salt: str, unit_id: str) -> float:
    """A uniform number in [0, 1) determined by ``salt`` and ``unit_id`` (BLAKE2b, 64 bits)."""
    digest = hashlib.blake2b(f"{salt}\x1f{unit_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


def hash_units(salt: str, unit_ids: Sequence[str]) -> npt.NDArray[np.float64]:
    """:func:`hash_unit` of many ids at once."""
    return np.fromiter(
        (hash_unit(salt, u) for u in unit_ids), dtype=np.float64, count=len(unit_ids)
    )


def variant_index(u: npt.NDArray[np.float64], weights: Sequence[float]) -> npt.NDArray[np.int64]:
    """Variant index of each uniform draw ``u`` under normalised allocation ``weights``."""
    edges = np.cumsum(weights)[:-1]
    return np.searchsorted(edges, u, side="right").astype(np.int64)


def assign(
    experiment: Experiment,
    learner_id: str,
    *,
    course_id: str | None = None,
    platform: str | None = None,
) -> str | None:
    """The variant ``learner_id`` gets in ``experiment``, or None when not in its population.

    Parameters
    ----------
    experiment : Experiment
        The definition (variants, weights, target population, salt).
    learner_id : str
        The randomisation unit.
    course_id, platform : str, optional
        Where the learner is now; checked against the target filters.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> exp = Experiment(id="e", variants=[{"name": "a"}, {"name": "b"}],
    ...                  primary_metric="accuracy", start=datetime(2024, 1, 1, tzinfo=UTC))
    >>> assign(exp, "learner-1") == assign(exp, "learner-1")
    True
    """
    if not experiment.target.admits(course_id=course_id, platform=platform):
        return None
    salt = experiment.hash_salt
    if experiment.target.traffic < 1.0 and hash_unit(f"{salt}:traffic", learner_id) >= (
        experiment.target.traffic
    ):
        return None
    weights = experiment.weights
    index = int(variant_index(np.array([hash_unit(salt, learner_id)]), list(weights.values()))[0])
    return list(weights)[index]


@dataclass(frozen=True)
class Assignment:
    """A learner's variant of one experiment."""

    experiment_id: str
    variant: str


class Assigner:
    """Assignments of a learner to every running experiment of a registry (thread-safe)."""

    def __init__(self, registry: ExperimentRegistry) -> None:
        self.registry = registry

    @classmethod
    def from_dir(cls, folder: Path) -> Assigner:
        """Experiments defined in ``folder`` (see :class:`ExperimentRegistry`)."""
        return cls(ExperimentRegistry.from_dir(folder))

    def assign(
        self,
        experiment_id: str,
        learner_id: str,
        *,
        course_id: str | None = None,
        platform: str | None = None,
    ) -> str | None:
        """The variant of ``learner_id`` in one experiment (None: not in its population)."""
        experiment = self.registry.get(experiment_id)
        return assign(experiment, learner_id, course_id=course_id, platform=platform)

    def assignments(
        self,
        learner_id: str,
        *,
        at: datetime | None = None,
        course_id: str | None = None,
        platform: str | None = None,
    ) -> dict[str, str]:
        """Experiment id -> variant for every experiment running at ``at`` (default: now)."""
        when = at or datetime.now(UTC)
        out = {}
        for experiment in self.registry.active(when):
            variant = assign(experiment, learner_id, course_id=course_id, platform=platform)
            if variant is not None:
                out[experiment.id] = variant
        return out


def exposure_context(
    context: EventContext | None, assignments: dict[str, str], propensity: float | None = None
) -> EventContext:
    """``context`` with the served assignments merged in and the serving propensity set.

    ``propensity`` is the probability with which the serving policy chose the object the
    event is about (needed for off-policy evaluation); leave None for deterministic choices.
    """
    base = context or EventContext()
    merged = {**base.experiments, **assignments}
    update: dict[str, object] = {"experiments": merged}
    if propensity is not None:
        update["propensity"] = propensity
    return EventContext.model_validate({**base.model_dump(), **update})
