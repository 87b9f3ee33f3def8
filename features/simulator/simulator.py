"""``LearnerSimulator``: the id-level API over a seeded simulation (see the package docstring)."""

from __future__ import annotations

import copy
import math
from datetime import UTC, datetime, timedelta

import networkx as nx
import numpy as np

from features.events import LearningEvent
from features.simulator import stream
from features.simulator.config import SimulatorConfig
from features.simulator.core import Core
from features.simulator.errors import UnknownItemError, UnknownLearnerError
from features.simulator.policies import Policy, make_chooser
from features.simulator.world import FloatArray, SimItem


class LearnerSimulator:
    """Seeded synthetic learners over a ground-truth skill DAG.

    Parameters
    ----------
    config : SimulatorConfig
        All knobs; ``config.seed`` drives every random draw.

    Attributes
    ----------
    config : SimulatorConfig
    skills : tuple of str
        Skill ids in layer order (prerequisites before dependents).
    items : tuple of SimItem
        Item bank with true parameters.
    learner_ids : tuple of str
        Learners, aligned with :attr:`abilities` and the rows of :meth:`mastery_matrix`.

    Examples
    --------
    >>> sim = LearnerSimulator(SimulatorConfig(n_learners=5, seed=1))
    >>> len(sim.generate(20))
    100
    >>> twin = sim.clone()
    >>> twin.attempt("learner-0000", "item-0003") == sim.attempt("learner-0000", "item-0003")
    True
    """

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self._core = Core.create(config)
        self.skills = tuple(f"skill-{i:03d}" for i in range(config.n_skills))
        self.items: tuple[SimItem, ...] = ()
        self.learner_ids: tuple[str, ...] = ()
        self._sync_ids()

    # ------------------------------------------------------------------ ground truth
    @property
    def true_graph(self) -> nx.DiGraph:
        """Prerequisite DAG (edge prerequisite → dependent); nodes carry layer and learn_rate."""
        graph = nx.DiGraph()
        core = self._core
        for skill, layer, rate in zip(
            self.skills, core.graph.layers, core.skill_rates, strict=True
        ):
            graph.add_node(skill, layer=int(layer), learn_rate=float(rate))
        graph.add_edges_from(self.prerequisite_edges)
        return graph

    @property
    def prerequisite_edges(self) -> list[tuple[str, str]]:
        """True ``(prerequisite, dependent)`` pairs, sorted."""
        return sorted((self.skills[p], self.skills[c]) for p, c in self._core.graph.edges)

    @property
    def abilities(self) -> FloatArray:
        """True abilities ``theta``, aligned with :attr:`learner_ids` (a copy)."""
        return self._core.population.theta.copy()

    # ------------------------------------------------------------------ environment
    def now(self, learner_id: str) -> datetime:
        """The learner's current simulated time."""
        seconds = float(self._core.population.clock[self._learner(learner_id)])
        return self.config.start + timedelta(seconds=seconds)

    def p_correct(self, learner_id: str, item_id: str) -> float:
        """True probability that the learner answers the item correctly now (no state change)."""
        return float(self.item_probabilities(learner_id)[self._item(item_id)])

    def item_probabilities(self, learner_id: str) -> FloatArray:
        """True success probability of every item (aligned with :attr:`items`), no state change."""
        return self._core.item_probabilities(self._learner(learner_id))

    def expected_gains(self, learner_id: str) -> FloatArray:
        """Expected knowledge gain of answering each item now (aligned with :attr:`items`,
        summed over the item's skills), no state change: what an oracle policy maximises."""
        return self._core.expected_gains(self._learner(learner_id))

    def attempt(self, learner_id: str, item_id: str, *, at: datetime | None = None) -> bool:
        """Sample a response, learn from it and return whether it was correct.

        ``at`` (default: the learner's clock) may not lie before the learner's clock; the
        clock moves to it. Without ``at`` no time passes, so there is no forgetting.
        """
        row = np.array([self._learner(learner_id)])
        item = np.array([self._item(item_id)])
        now = self._core.population.clock[row].copy()
        if at is not None:
            when = (_utc(at) - self.config.start).total_seconds()
            if when < now[0]:
                clock = self.now(learner_id).isoformat()
                raise ValueError(f"at={at.isoformat()} is before {learner_id}'s clock {clock}")
            now[0] = when
        _, correct = self._core.practice(row, item, now)
        return bool(correct[0])

    def mastery(self, learner_id: str) -> dict[str, float]:
        """Post-test: true knowledge in [0, 1] of every skill at the learner's clock."""
        row = np.array([self._learner(learner_id)])
        knowledge = self._core.population.knowledge(row)[0]
        return dict(zip(self.skills, knowledge.tolist(), strict=True))

    def mastery_matrix(self) -> FloatArray:
        """Knowledge of all learners × skills at each learner's clock (no state change)."""
        return self._core.population.knowledge(np.arange(len(self.learner_ids)))

    def advance_time(self, seconds: float, *, learner_id: str | None = None) -> None:
        """Move one learner's clock (default: everyone's) forward; knowledge decays meanwhile."""
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"seconds={seconds!r} is invalid; allowed: a finite number >= 0")
        rows = slice(None) if learner_id is None else self._learner(learner_id)
        self._core.population.clock[rows] += seconds

    # ------------------------------------------------------------------ streams
    def generate(
        self, events_per_learner: int, *, policy: Policy = "random"
    ) -> list[LearningEvent]:
        """Let every learner answer ``events_per_learner`` items; return the events in time order.

        Parameters
        ----------
        events_per_learner : int
            Answers per learner; learners move in lock-step, grouped into sessions with gaps.
        policy : {"random", "curriculum"} or callable
            ``"random"``: uniform over items (``context.propensity = 1 / n_items``);
            ``"curriculum"``: a fixed syllabus in DAG order, easiest items of each skill first;
            callable ``policy(sim, learner_id) -> item_id``, which must not change ``sim``.

        Returns
        -------
        list of LearningEvent
            ``answered`` events on ``problem`` objects, stamped when the answer was submitted
            and sorted by time. State carries over: a second call continues the histories.
        """
        if isinstance(events_per_learner, bool) or not isinstance(events_per_learner, int):
            raise ValueError(f"events_per_learner={events_per_learner!r} is not an integer")
        if events_per_learner < 0:
            raise ValueError(f"events_per_learner={events_per_learner!r} is invalid; allowed: >= 0")
        log = self._core.run(events_per_learner, make_chooser(policy, self, self._core))
        return stream.build_events(
            log,
            learner_ids=self.learner_ids,
            items=self.items,
            start=self.config.start,
            propensity=1.0 / len(self.items) if policy == "random" else None,
            rng=self._core.meta_rng,
        )

    # ------------------------------------------------------------------ copies and drift
    def clone(self) -> LearnerSimulator:
        """Exact independent copy, random streams included: same actions give same outcomes."""
        return copy.deepcopy(self)

    def fork(self, key: int) -> LearnerSimulator:
        """Copy of the current state with future randomness re-seeded from ``(seed, key)``.

        Clones repeat each other's event ids and draws; use forks with distinct keys for
        branches whose streams are stored side by side or must be independent.
        """
        twin = self.clone()
        twin._core.reseed(key)
        return twin

    def with_drift(
        self,
        *,
        difficulty_shift: float = 0.0,
        item_fraction: float = 1.0,
        cohort_size: int = 0,
        cohort_ability_shift: float = 0.0,
    ) -> LearnerSimulator:
        """A drifted copy (``self`` is unchanged) for drift-detection and retraining tests.

        Parameters
        ----------
        difficulty_shift : float
            Added to the difficulty ``b`` of a random ``item_fraction`` of the items
            (positive: harder items).
        item_fraction : float
            Share of items shifted, in [0, 1].
        cohort_size : int
            New learners appended (ids continue the numbering) with ability
            ``N(ability_mean + cohort_ability_shift, ability_sd)``, joining within
            ``enrollment_days`` after the latest clock of the existing population.
        cohort_ability_shift : float
            Shift of the new cohort's mean ability (negative: a weaker cohort).
        """
        if not 0.0 <= item_fraction <= 1.0:
            raise ValueError(f"item_fraction={item_fraction!r} is invalid; allowed: 0 <= x <= 1")
        if cohort_size < 0:
            raise ValueError(f"cohort_size={cohort_size!r} is invalid; allowed: >= 0")
        twin = self.clone()
        twin._core.shift_difficulty(difficulty_shift, item_fraction)
        if cohort_size:
            twin._core.add_cohort(cohort_size, cohort_ability_shift)
        twin._sync_ids()
        return twin

    # ------------------------------------------------------------------ internals
    def _sync_ids(self) -> None:
        """Rebuild the id views after the bank or the population changed."""
        bank = self._core.bank
        self.items = tuple(
            SimItem(
                id=f"item-{i:04d}",
                skill_ids=tuple(self.skills[s] for s in bank.skills[i] if s >= 0),
                difficulty=float(bank.difficulty[i]),
                discrimination=float(bank.discrimination[i]),
                guess=float(bank.guess[i]),
                slip=float(bank.slip[i]),
            )
            for i in range(bank.difficulty.size)
        )
        self._item_index = {item.id: i for i, item in enumerate(self.items)}
        self.learner_ids = tuple(f"learner-{i:04d}" for i in range(len(self._core.population)))
        self._learner_index = {lid: i for i, lid in enumerate(self.learner_ids)}

    def _learner(self, learner_id: str) -> int:
        try:
            return self._learner_index[learner_id]
        except KeyError:
            raise UnknownLearnerError(learner_id) from None

    def _item(self, item_id: str) -> int:
        try:
            return self._item_index[item_id]
        except KeyError:
            raise UnknownItemError(item_id) from None


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
