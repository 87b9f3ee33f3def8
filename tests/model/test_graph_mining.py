"""Behaviour of prerequisite mining on the simulator's ground truth."""

from __future__ import annotations

import numpy as np

from features.simulator import LearnerSimulator, SimulatorConfig
from knowledge_graph.mining import mine_prerequisites, score_edges


def test_precedence_mining_recovers_the_simulator_graph_from_true_knowledge() -> None:
    """Given accurate knowledge snapshots the mined edges are mostly real ones."""
    sim = LearnerSimulator(SimulatorConfig(n_learners=400, seed=5))
    snapshots = [sim.mastery_matrix()]
    for _ in range(10):
        sim.generate(30)
        snapshots.append(sim.mastery_matrix())
    edges = mine_prerequisites(
        list(sim.skills),
        np.concatenate(snapshots),
        threshold=0.5,
        max_violation=0.0,
        min_support=20,
    )
    scores = score_edges([(e.prerequisite, e.dependent) for e in edges], sim.prerequisite_edges)
    assert scores.precision >= 0.75 and scores.recall >= 0.4, scores
    noisy = np.random.default_rng(0).permutation(np.concatenate(snapshots).ravel())
    shuffled = mine_prerequisites(
        list(sim.skills),
        noisy.reshape(-1, len(sim.skills)),
        threshold=0.5,
        max_violation=0.0,
        min_support=20,
    )
    assert (
        score_edges([(e.prerequisite, e.dependent) for e in shuffled], sim.prerequisite_edges).f1
        < scores.f1
    )


def test_co_tagged_items_only_give_true_edges() -> None:
    sim = LearnerSimulator(SimulatorConfig(n_learners=200, seed=8))
    snapshots = sim.mastery_matrix()
    edges = mine_prerequisites(
        list(sim.skills),
        snapshots,
        item_skills=[i.skill_ids for i in sim.items],
        max_violation=-1.0,
    )
    assert edges and {(e.prerequisite, e.dependent) for e in edges} <= set(sim.prerequisite_edges)
