"""Index-level simulation state: world, population, random streams and the operations on them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from features.simulator import dynamics, stream
from features.simulator.config import SimulatorConfig
from features.simulator.population import Population, sample_cohort
from features.simulator.world import (
    FloatArray,
    IntArray,
    ItemBank,
    SkillGraph,
    build_item_bank,
    build_skill_graph,
)

Chooser = Callable[[IntArray], IntArray]


@dataclass
class Core:
    """Everything a simulation is made of, addressed by learner, skill and item index.

    Randomness comes from separate streams spawned from ``config.seed``: the world (graph,
    items, learning rates), the initial cohort, responses, policy choices, and ``meta``
    (timing, event ids, drift).
    """

    config: SimulatorConfig
    graph: SkillGraph
    bank: ItemBank
    skill_rates: FloatArray
    population: Population
    response_rng: np.random.Generator
    policy_rng: np.random.Generator
    meta_rng: np.random.Generator

    @classmethod
    def create(cls, config: SimulatorConfig) -> Core:
        """Draw the world and the initial cohort from ``config.seed``."""
        world, cohort, response, policy, meta = np.random.SeedSequence(config.seed).spawn(5)
        world_rng = np.random.default_rng(world)
        graph = build_skill_graph(config, world_rng)
        bank = build_item_bank(config, graph, world_rng)
        rates = config.learn_rate * np.exp(
            world_rng.normal(0.0, config.learn_rate_sd, config.n_skills)
        )
        population = sample_cohort(
            config,
            graph,
            np.random.default_rng(cohort),
            size=config.n_learners,
            ability_mean=config.ability_mean,
            joined_after=0.0,
        )
        rngs = [np.random.default_rng(s) for s in (response, policy, meta)]
        return cls(config, graph, bank, rates, population, *rngs)

    def reseed(self, key: int) -> None:
        """Replace the response, policy and meta streams by ones spawned from ``(seed, key)``."""
        _, _, response, policy, meta = np.random.SeedSequence([self.config.seed, key]).spawn(5)
        self.response_rng = np.random.default_rng(response)
        self.policy_rng = np.random.default_rng(policy)
        self.meta_rng = np.random.default_rng(meta)

    def item_probabilities(self, learner: int) -> FloatArray:
        """True success probability of every item for one learner at their clock."""
        n_items = self.bank.difficulty.size
        knowledge = self.population.knowledge(np.array([learner]))
        return dynamics.p_correct(
            np.full(n_items, self.population.theta[learner]),
            np.repeat(knowledge, n_items, axis=0),
            np.arange(n_items),
            self.bank,
            self.config,
        )

    def expected_gains(self, learner: int) -> FloatArray:
        """Expected knowledge gain of answering each item now, summed over its skills.

        :func:`dynamics.learning_gain` after a correct answer, times the expected feedback
        (``p + (1 - p) * wrong_answer_learning``), for one learner at their clock.
        """
        n_items = self.bank.difficulty.size
        knowledge = self.population.knowledge(np.array([learner]))
        gate = dynamics.prerequisite_gate(knowledge, self.graph, self.config)
        knowledge, gate = np.repeat(knowledge, n_items, axis=0), np.repeat(gate, n_items, axis=0)
        p = self.item_probabilities(learner)
        total = np.zeros(n_items)
        for skills in self.bank.skills.T:  # an item's first skill, then its second (or -1)
            has = skills >= 0
            total[has] += dynamics.learning_gain(
                knowledge[has],
                skills[has],
                rate=self.skill_rates[skills[has]] * self.population.speed[learner],
                gate=gate[has],
                p=p[has],
                correct=np.ones(int(has.sum()), dtype=np.bool_),
                config=self.config,
            )
        return np.asarray(total * (p + (1.0 - p) * self.config.wrong_answer_learning))

    def practice(
        self, learners: IntArray, items: IntArray, now: FloatArray
    ) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        """Sample responses and learn (see :meth:`Population.practice`)."""
        return self.population.practice(
            learners,
            items,
            now,
            graph=self.graph,
            bank=self.bank,
            skill_rates=self.skill_rates,
            rng=self.response_rng,
        )

    def run(self, steps: int, choose: Chooser) -> stream.AnswerLog:
        """Every learner answers ``steps`` items chosen by ``choose``, in sessions with gaps."""
        population = self.population
        everyone = np.arange(len(population))
        log = stream.AnswerLog()
        for _ in range(steps):
            stream.start_sessions(population, self.meta_rng)
            items = choose(everyone)
            duration = stream.answer_seconds(
                self.meta_rng, population.theta, self.bank.difficulty[items], self.config
            )
            now = population.clock + duration
            _, correct = self.practice(everyone, items, now)
            log.append(
                learner=everyone,
                item=items,
                correct=correct,
                time=now,
                duration=duration,
                session=population.sessions,
            )
            population.clock += stream.pause_seconds(self.meta_rng, everyone.size)
            population.session_left -= 1
        return log

    def shift_difficulty(self, shift: float, fraction: float) -> None:
        """Add ``shift`` to the difficulty of a random ``fraction`` of the items."""
        n_items = self.bank.difficulty.size
        chosen = self.meta_rng.choice(n_items, round(fraction * n_items), replace=False)
        self.bank.difficulty[chosen] += shift

    def add_cohort(self, size: int, ability_shift: float) -> None:
        """Append ``size`` learners with mean ability shifted by ``ability_shift``."""
        self.population.extend(
            sample_cohort(
                self.config,
                self.graph,
                self.meta_rng,
                size=size,
                ability_mean=self.config.ability_mean + ability_shift,
                joined_after=float(self.population.clock.max()),
            )
        )
