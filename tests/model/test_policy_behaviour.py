"""Behaviour of the KT+ZPD policy inside the learner simulator."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from features.simulator import LearnerSimulator, SimulatorConfig
from models.kt.base import InteractionSequence
from models.kt.bkt import BKT
from models.policy import (
    AdaptivePolicy,
    Catalog,
    ContentItem,
    KTMasteryTracker,
    LearnerState,
    ZPDReranker,
)

STEPS = 40
THRESHOLD = 0.95


@pytest.fixture(scope="module")
def world() -> tuple[LearnerSimulator, KTMasteryTracker, Catalog, dict[str, list[str]]]:
    sim = LearnerSimulator(SimulatorConfig(n_learners=24, seed=3))
    skill_id = {s: i + 1 for i, s in enumerate(sim.skills)}
    history = sim.with_drift(cohort_size=150)
    cohort = set(history.learner_ids[24:])
    rows: dict[str, list[tuple[int, int]]] = {}
    for e in history.generate(120):
        if e.learner_id in cohort:
            rows.setdefault(e.learner_id, []).extend(
                (skill_id[s], int(e.result.correct)) for s in e.skill_ids
            )
    seqs = [
        InteractionSequence(np.array([s for s, _ in r]), np.array([c for _, c in r]))
        for r in rows.values()
    ]
    bkt = BKT(n_restarts=1).fit(seqs, n_skills=len(skill_id))
    catalog = Catalog(ContentItem(it.id, it.skill_ids) for it in sim.items)
    prerequisites = {s: sorted(sim.true_graph.predecessors(s)) for s in sim.skills}
    return sim, KTMasteryTracker(bkt, skill_id), catalog, prerequisites


def run(world: tuple, policy: str) -> tuple[float, list[bool]]:
    base, tracker, catalog, prerequisites = world
    sim = base.clone()
    before = sim.mastery_matrix().mean()
    if policy == "random":
        sim.generate(STEPS)
        return float(sim.mastery_matrix().mean() - before), []
    reranker = ZPDReranker(
        prerequisites,
        catalog,
        tracker,
        mastery_threshold=THRESHOLD,
        target=0.8,
        width=0.2,
        zpd_weight=0.5,
        repeat_penalty=1.0,
    )
    chooser = AdaptivePolicy(reranker)
    states: dict[str, LearnerState] = {lid: tracker.new_state() for lid in sim.learner_ids}
    respected: list[bool] = []

    def choose(_: LearnerSimulator, learner: str) -> str:
        state = states[learner]
        item = chooser.next_item(state)
        assert item is not None
        respected.append(not reranker.blocked_by(state, catalog.items[item.item_id]))
        return item.item_id

    for _ in range(STEPS):
        for e in sim.generate(1, policy=choose):
            states[e.learner_id] = tracker.observe(
                states[e.learner_id], catalog.items[e.object.id], e.result.correct
            )
            states[e.learner_id] = replace(states[e.learner_id])
    return float(sim.mastery_matrix().mean() - before), respected


def test_kt_zpd_policy_learns_more_than_random_and_respects_prerequisites(world: tuple) -> None:
    random_gain, _ = run(world, "random")
    ours, respected = run(world, "ours")
    assert ours > 1.5 * random_gain
    assert respected and all(respected)
