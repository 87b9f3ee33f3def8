"""Item-selection policies for :meth:`LearnerSimulator.generate`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import numpy as np

from features.simulator.core import Chooser, Core
from features.simulator.errors import UnknownItemError

if TYPE_CHECKING:
    from features.simulator.simulator import LearnerSimulator

Policy = Literal["random", "curriculum"] | Callable[["LearnerSimulator", str], str]


def curriculum_order(core: Core) -> np.ndarray:
    """Fixed syllabus: items by layer, then skill, then difficulty (easiest first)."""
    primary = core.bank.skills[:, 0]
    return np.lexsort((core.bank.difficulty, primary, core.graph.layers[primary]))


def make_chooser(policy: Policy, sim: LearnerSimulator, core: Core) -> Chooser:
    """Turn a policy into a function from learner indices to item indices.

    ``"random"`` draws uniformly from the policy stream; ``"curriculum"`` walks the syllabus
    of :func:`curriculum_order` by each learner's count of answers, wrapping around; a callable
    is asked once per learner and step (in learner order) and must return a known item id.
    """
    n_items = core.bank.difficulty.size
    if policy == "random":
        return lambda rows: core.policy_rng.integers(0, n_items, rows.size)
    if policy == "curriculum":
        syllabus = curriculum_order(core)
        return lambda rows: syllabus[core.population.answered[rows] % n_items]
    if callable(policy):
        index = {item.id: i for i, item in enumerate(sim.items)}

        def ask(rows: np.ndarray) -> np.ndarray:
            picked = [policy(sim, sim.learner_ids[row]) for row in rows.tolist()]
            for item_id in picked:
                if item_id not in index:
                    raise UnknownItemError(item_id)
            return np.array([index[item_id] for item_id in picked], dtype=np.int64)

        return ask
    raise ValueError(f"policy={policy!r} is invalid; allowed: 'random', 'curriculum' or a callable")
