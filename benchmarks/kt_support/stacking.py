"""Member selection of the benchmark's stacked model, on the validation fold only.

Forward selection (Caruana-style), started once from each member within the online budget: add
the member whose addition gives the best valid AUC of the refitted logistic combiner, while it
improves the valid AUC by at least ``min_gain`` and the members' summed query p99 latency stays
within the budget; the start whose selection ends with the best valid AUC wins. (Starting only
from the best single member can take a slow one first and leave no room for a cheaper set that
beats it.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from models.kt.ensemble import combiner_weights, logit
from models.metrics import roc_auc


@dataclass
class Selection:
    """The chosen members in order, and the valid AUC after each addition."""

    members: list[str] = field(default_factory=list)
    valid_auc: list[float] = field(default_factory=list)
    latency_ms: float = 0.0
    over_budget: list[str] = field(default_factory=list)


def combined_auc(
    valid_probs: Mapping[str, npt.NDArray[np.float64]], labels: np.ndarray, members: list[str]
) -> float:
    """Valid AUC of the logistic combiner of ``members`` fitted on the same rows."""
    probs = np.column_stack([valid_probs[m] for m in members])
    weights, intercept = combiner_weights(probs, labels)
    return roc_auc(labels, logit(probs) @ weights + intercept)


def forward_select(
    valid_probs: Mapping[str, npt.NDArray[np.float64]],
    labels: np.ndarray,
    latency_ms: Mapping[str, float],
    *,
    budget_ms: float,
    min_gain: float = 0.001,
) -> Selection:
    """The best of the greedy forward selections from each start (see the module docstring)."""
    starts = sorted(m for m in valid_probs if latency_ms[m] <= budget_ms)
    runs = [
        _grow(valid_probs, labels, latency_ms, first, budget_ms=budget_ms, min_gain=min_gain)
        for first in starts
    ]
    chosen = max(runs, key=lambda run: run.valid_auc[-1], default=Selection())
    chosen.over_budget = sorted(m for m in valid_probs if latency_ms[m] > budget_ms)
    return chosen


def _grow(
    valid_probs: Mapping[str, npt.NDArray[np.float64]],
    labels: np.ndarray,
    latency_ms: Mapping[str, float],
    first: str,
    *,
    budget_ms: float,
    min_gain: float,
) -> Selection:
    """Greedy forward selection from ``[first]``."""
    best = combined_auc(valid_probs, labels, [first])
    chosen = Selection(members=[first], valid_auc=[best], latency_ms=latency_ms[first])
    while True:
        room = budget_ms - chosen.latency_ms
        pool = [m for m in valid_probs if m not in chosen.members and latency_ms[m] <= room]
        if not pool:
            return chosen
        scores = {m: combined_auc(valid_probs, labels, [*chosen.members, m]) for m in pool}
        name = max(sorted(scores), key=lambda m: scores[m])
        if scores[name] < best + min_gain:
            return chosen
        best = scores[name]
        chosen.members.append(name)
        chosen.valid_auc.append(best)
        chosen.latency_ms += latency_ms[name]
