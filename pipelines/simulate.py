"""Simulated learning gain of a KT model kind, in the learner simulator.

The lake's skills are not the simulator's, so what is scored is the *model kind with its
hyper-parameters*: it is fitted on a simulated history cohort, then drives the adaptive policy
(``models.policy``: mastery from the KT model, prerequisite filter, ZPD) for fresh learners.
Learning gain = mean over learners of post-test minus pre-test true knowledge (averaged over
skills); reported with the gain of random practice from the same start state (``clone``).
Returns ``None`` while ``models.policy`` (issue 5) is not installed.
"""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from datetime import datetime
from typing import Any

import numpy as np

from features.simulator import LearnerSimulator, SimulatorConfig
from models.kt import make_model
from models.kt.base import InteractionSequence
from pipelines.params import EvaluateParams

DAY = 86_400.0


def learning_gain(
    model_name: str, hyper: dict[str, Any], p: EvaluateParams
) -> dict[str, float] | None:
    """``{"gain", "random_gain", "gain_ratio"}`` of the adaptive policy driven by this model."""
    if importlib.util.find_spec("models.policy") is None:
        return None
    from models.policy import (
        AdaptivePolicy,
        Catalog,
        ContentItem,
        KTMasteryTracker,
        ZPDReranker,
    )

    sim = LearnerSimulator(SimulatorConfig(seed=p.sim_seed, n_learners=p.sim_learners))
    skill_id = {s: i + 1 for i, s in enumerate(sim.skills)}
    item_id = {it.id: i + 1 for i, it in enumerate(sim.items)}
    history = sim.with_drift(cohort_size=p.sim_history_learners)
    cohort = set(history.learner_ids[p.sim_learners :])
    rows: dict[str, list[tuple[int, int, int]]] = {}
    for e in history.generate(p.sim_history_events, policy="random"):
        if e.learner_id in cohort and e.result is not None:
            for skill in e.skill_ids:
                rows.setdefault(e.learner_id, []).append(
                    (skill_id[skill], int(bool(e.result.correct)), item_id[e.object.id])
                )
    seqs = [InteractionSequence(*map(np.array, zip(*r, strict=True))) for r in rows.values()]
    cut = max(1, len(seqs) // 5)
    model = make_model(model_name, **hyper).fit(
        seqs[cut:], seqs[:cut], n_skills=len(skill_id), n_problems=len(item_id)
    )
    catalog = Catalog(ContentItem(it.id, it.skill_ids) for it in sim.items)
    tracker = KTMasteryTracker(model, skill_id, problem_ids=item_id)
    prerequisites = {s: sorted(sim.true_graph.predecessors(s)) for s in sim.skills}
    policy = AdaptivePolicy(ZPDReranker(prerequisites, catalog, tracker))

    def days(s: LearnerSimulator, when: datetime) -> float:
        return (when - s.config.start).total_seconds() / DAY

    adaptive = sim.clone()
    states = {
        learner: tracker.new_state(now=days(adaptive, adaptive.now(learner)))
        for learner in adaptive.learner_ids
    }

    def choose(s: LearnerSimulator, learner: str) -> str:
        st = states[learner]
        states[learner] = replace(st, now=days(s, s.now(learner)))
        item = policy.next_item(states[learner])
        return item.item_id if item is not None else sim.items[0].id

    before = adaptive.mastery_matrix().mean(axis=1)
    for _ in range(p.sim_steps):
        for e in adaptive.generate(1, policy=choose):
            correct = bool(e.result.correct) if e.result else False
            states[e.learner_id] = tracker.observe(
                states[e.learner_id],
                catalog.items[e.object.id],
                correct,
                at=days(adaptive, e.timestamp),
            )
    gain = float((adaptive.mastery_matrix().mean(axis=1) - before).mean())
    baseline = sim.clone()
    start = baseline.mastery_matrix().mean(axis=1)
    baseline.generate(p.sim_steps, policy="random")
    random_gain = float((baseline.mastery_matrix().mean(axis=1) - start).mean())
    ratio = gain / random_gain if random_gain > 0 else float("nan")
    return {"gain": gain, "random_gain": random_gain, "gain_ratio": ratio}
