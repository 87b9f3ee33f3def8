"""Learner state (ability, per-skill knowledge, clocks) and the practice step that changes it."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from features.simulator import dynamics
from features.simulator.config import SimulatorConfig
from features.simulator.world import FloatArray, IntArray, ItemBank, SkillGraph


@dataclass
class Population:
    """Mutable state of all learners as aligned arrays (``L`` learners, ``S`` skills).

    Knowledge is stored lazily: ``k_last[l, s]`` is the level right after the last update at
    ``t_last[l, s]`` (seconds since ``config.start``); :func:`dynamics.knowledge_at` applies
    forgetting up to any later time. ``clock`` is each learner's current time.
    """

    config: SimulatorConfig
    theta: FloatArray
    speed: FloatArray
    k_last: FloatArray
    t_last: FloatArray
    clock: FloatArray
    answered: IntArray
    sessions: IntArray
    session_left: IntArray

    def __len__(self) -> int:
        return int(self.theta.size)

    def knowledge(self, learners: IntArray, now: FloatArray | None = None) -> FloatArray:
        """Knowledge ``(n, S)`` of ``learners`` at ``now`` (default: their own clocks)."""
        at = self.clock[learners] if now is None else now
        return dynamics.knowledge_at(
            self.k_last[learners], self.t_last[learners], at[:, None], self.config
        )

    def extend(self, other: Population) -> None:
        """Append the learners of ``other`` (e.g. a new cohort)."""
        for f in fields(self):
            if f.name != "config":
                setattr(
                    self, f.name, np.concatenate([getattr(self, f.name), getattr(other, f.name)])
                )

    def practice(
        self,
        learners: IntArray,
        items: IntArray,
        now: FloatArray,
        *,
        graph: SkillGraph,
        bank: ItemBank,
        skill_rates: FloatArray,
        rng: np.random.Generator,
    ) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        """Answer ``items`` at ``now`` (``learners`` distinct), learn, return ``(p, correct)``.

        Each practised skill gains :func:`dynamics.learning_gain` and restarts its forgetting
        clock; clocks move to ``now``.
        """
        knowledge = self.knowledge(learners, now)
        p = dynamics.p_correct(self.theta[learners], knowledge, items, bank, self.config)
        correct = rng.random(learners.size) < p
        gate = dynamics.prerequisite_gate(knowledge, graph, self.config)
        for column in range(bank.skills.shape[1]):
            skills = bank.skills[items, column]
            has = skills >= 0
            if not has.any():
                continue
            rows, learner, skill = np.flatnonzero(has), learners[has], skills[has]
            rate = skill_rates[skill] * self.speed[learner]
            gain = dynamics.learning_gain(
                knowledge[rows],
                skill,
                rate=rate,
                gate=gate[rows],
                p=p[rows],
                correct=correct[rows],
                config=self.config,
            )
            self.k_last[learner, skill] = knowledge[rows, skill] + gain
            self.t_last[learner, skill] = now[rows]
        self.clock[learners] = now
        self.answered[learners] += 1
        return p, correct


def sample_cohort(
    config: SimulatorConfig,
    graph: SkillGraph,
    rng: np.random.Generator,
    *,
    size: int,
    ability_mean: float,
    joined_after: float,
) -> Population:
    """Draw ``size`` new learners joining within ``enrollment_days`` after ``joined_after`` (s).

    ``theta ~ N(ability_mean, ability_sd)``; initial knowledge
    ``sigmoid(bias + weight * theta - penalty * layer + noise)``, then capped by the learner's
    weakest prerequisite so that no skill starts better known than what it builds on.
    """
    theta = rng.normal(ability_mean, config.ability_sd, size)
    logits = (
        config.init_knowledge_bias
        + config.init_ability_weight * theta[:, None]
        - config.init_depth_penalty * graph.layers[None, :]
        + rng.normal(0.0, config.init_knowledge_sd, (size, config.n_skills))
    )
    k0 = dynamics.sigmoid(logits)
    for skill in np.flatnonzero(graph.has_parents):  # parents have lower indices
        parents = graph.parents[skill][graph.parents[skill] >= 0]
        k0[:, skill] = np.minimum(k0[:, skill], k0[:, parents].min(axis=1))
    joined = (
        joined_after + rng.uniform(0.0, config.enrollment_days, size) * dynamics.SECONDS_PER_DAY
    )
    return Population(
        config=config,
        theta=theta,
        speed=np.exp(config.ability_learning_weight * theta),
        k_last=k0,
        t_last=np.repeat(joined[:, None], config.n_skills, axis=1),
        clock=joined,
        answered=np.zeros(size, dtype=np.int64),
        sessions=np.zeros(size, dtype=np.int64),
        session_left=np.zeros(size, dtype=np.int64),
    )
