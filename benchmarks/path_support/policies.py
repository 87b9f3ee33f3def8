"""The policies compared: each runs on a clone of the world's evaluation cohort and returns
every learner's learning gain (post-test minus pre-test true knowledge, mean over skills)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from benchmarks.path_support.world import World, correct_answer, sim_days
from features.simulator import LearnerSimulator
from models.policy import AdaptivePolicy, ContentItem, LearnerState, ZPDReranker


def run_builtin(world: World, policy: Any, steps: int) -> np.ndarray:
    sim = world.sim.clone()
    before = sim.mastery_matrix().mean(axis=1)
    sim.generate(steps, policy=policy)
    return np.asarray(sim.mastery_matrix().mean(axis=1) - before)


def popularity_policy(world: World) -> Callable[[LearnerSimulator, str], str]:
    order = world.popularity_order
    step: dict[str, int] = {}

    def choose(_: LearnerSimulator, learner: str) -> str:
        n = step.get(learner, 0)
        step[learner] = n + 1
        return order[n % len(order)]

    return choose


def oracle_policy(world: World) -> Callable[[LearnerSimulator, str], str]:
    """Greedy on the true expected knowledge gain of each item (simulator's equations)."""
    ids = [it.id for it in world.sim.items]

    def choose(sim: LearnerSimulator, learner: str) -> str:
        return ids[int(np.argmax(sim.expected_gains(learner)))]

    return choose


def run_adaptive(
    world: World, prerequisites: dict[str, list[str]], steps: int, params: dict[str, Any]
) -> np.ndarray:
    """Our KT+ZPD policy: learner-model state per learner, updated after every answer."""
    sim = world.sim.clone()
    reranker = ZPDReranker(
        prerequisites,
        world.catalog,
        world.tracker,
        learn_rates=world.learn_rates if params.get("use_rates", True) else None,
        **{k: v for k, v in params.items() if k != "use_rates"},
    )
    policy = AdaptivePolicy(reranker)
    states: dict[str, LearnerState] = {
        learner: world.tracker.new_state(now=sim_days(sim, sim.now(learner)))
        for learner in sim.learner_ids
    }
    before = sim.mastery_matrix().mean(axis=1)

    def choose(s: LearnerSimulator, learner: str) -> str:
        state = states[learner]
        states[learner] = replace(state, now=sim_days(s, s.now(learner)))
        item = policy.next_item(states[learner])
        assert item is not None
        return item.item_id

    for _ in range(steps):
        for e in sim.generate(1, policy=choose):
            states[e.learner_id] = world.tracker.observe(
                states[e.learner_id],
                world.catalog.items[e.object.id],
                correct_answer(e),
                at=sim_days(sim, e.timestamp),
            )
    return np.asarray(sim.mastery_matrix().mean(axis=1) - before)


class _TrueKnowledge:
    """Estimator reading the simulator's true state (for the diagnostic row only).

    ``state.model_state`` holds the true P(correct) of every item at decision time, computed
    once per decision (``LearnerSimulator.item_probabilities``) instead of once per item.
    """

    def p_correct(self, state: LearnerState, item: ContentItem) -> float:
        return float(state.model_state[item.id])

    def prior_mastery(self, skill: str) -> float:
        return 0.0


def run_true_state(world: World, steps: int, params: dict[str, Any]) -> np.ndarray:
    """The same re-ranker fed with true knowledge and true P(correct): policy logic alone."""
    sim = world.sim.clone()
    reranker = ZPDReranker(
        world.curated,
        world.catalog,
        _TrueKnowledge(),
        learn_rates=world.learn_rates,
        **{k: v for k, v in params.items() if k != "use_rates"},
    )
    policy = AdaptivePolicy(reranker)
    item_ids = [it.id for it in sim.items]
    seen: dict[str, dict[str, int]] = {learner: {} for learner in sim.learner_ids}
    before = sim.mastery_matrix().mean(axis=1)

    def choose(s: LearnerSimulator, learner: str) -> str:
        probabilities = dict(zip(item_ids, s.item_probabilities(learner).tolist(), strict=True))
        state = LearnerState(
            mastery=s.mastery(learner), seen=seen[learner], model_state=probabilities
        )
        item = policy.next_item(state)
        assert item is not None
        return item.item_id

    for _ in range(steps):
        for e in sim.generate(1, policy=choose):
            counts = seen[e.learner_id]
            counts[e.object.id] = counts.get(e.object.id, 0) + 1
    return np.asarray(sim.mastery_matrix().mean(axis=1) - before)
