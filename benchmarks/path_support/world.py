"""One seed's world: the simulator, the history cohort's log, and the models and graphs
derived from that log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from benchmarks.path_support.params import ABILITY_PRIOR, KT_MODEL, SNAPSHOT_EVERY
from features.events import LearningEvent
from features.simulator import LearnerSimulator, SimulatorConfig
from knowledge_graph.mining import edges_to_mapping, mine_prerequisites, score_edges
from models.kt import make_model
from models.kt.base import InteractionSequence, KTEvent
from models.kt.bkt import BKT
from models.kt.snapshots import mastery_snapshots
from models.policy import Catalog, ContentItem, KTMasteryTracker, item_offsets_from_log

DAY = 86_400.0


@dataclass
class World:
    """One seed's simulator, history-derived models and graphs."""

    sim: LearnerSimulator
    catalog: Catalog
    tracker: KTMasteryTracker
    learn_rates: dict[str, float]
    curated: dict[str, list[str]]
    mined: dict[str, list[str]]
    mined_scores: Any
    true_knowledge_scores: Any
    evidence_scores: dict[str, Any]  # ablation: each kind of evidence alone
    popularity_order: list[str]


def correct_answer(event: LearningEvent) -> bool:
    """Whether a simulated answer was correct (simulator events always carry a result)."""
    assert event.result is not None
    return bool(event.result.correct)


def sim_days(sim: LearnerSimulator, when: datetime) -> float:
    """Days from the simulator's start to ``when`` (the policies' clock)."""
    return (when - sim.config.start).total_seconds() / DAY


def build_world(
    seed: int, n_learners: int, hist_learners: int, hist_events: int, miner: dict[str, Any]
) -> World:
    """Simulate the history cohort's random practice and derive the world's models and graphs
    from its log (``n_learners`` evaluation learners are left untouched in ``sim``)."""
    sim = LearnerSimulator(SimulatorConfig(seed=seed, n_learners=n_learners))
    skill_id = {s: i + 1 for i, s in enumerate(sim.skills)}
    history = sim.with_drift(cohort_size=hist_learners)
    cohort = set(history.learner_ids[n_learners:])
    per: dict[str, list[tuple[str, tuple[str, ...], bool]]] = {}
    true_snapshots = []  # diagnostic: mining on the true knowledge at the same moments
    for start in range(0, hist_events, SNAPSHOT_EVERY):
        for e in history.generate(min(SNAPSHOT_EVERY, hist_events - start), policy="random"):
            if e.learner_id in cohort:
                per.setdefault(e.learner_id, []).append(
                    (e.object.id, tuple(e.skill_ids), correct_answer(e))
                )
        true_snapshots.append(history.mastery_matrix()[n_learners:])
    problem_id = {it.id: i + 1 for i, it in enumerate(sim.items)}
    sequences = []
    for rows in per.values():
        skills = [skill_id[s] for _, sk, _ in rows for s in sk]
        correct = [int(c) for _, sk, c in rows for _ in sk]
        problems = [problem_id[item] for item, sk, _ in rows for _ in sk]
        sequences.append(
            InteractionSequence(np.array(skills), np.array(correct), np.array(problems))
        )
    bkt = BKT(seed=seed).fit(sequences, n_skills=len(sim.skills))
    learner_model = bkt if KT_MODEL == "bkt" else make_model(KT_MODEL)
    if learner_model is not bkt:
        learner_model.fit(sequences, n_skills=len(sim.skills), n_problems=len(sim.items))
    attempts = [(item, sk[0], c) for rows in per.values() for item, sk, c in rows]
    counts: dict[str, int] = {}
    wins: dict[str, int] = {}
    for item, _, c in attempts:
        counts[item] = counts.get(item, 0) + 1
        wins[item] = wins.get(item, 0) + int(c)
    catalog = Catalog(
        ContentItem(
            it.id,
            it.skill_ids,
            1.0,
            (wins.get(it.id, 0) + 1) / (counts.get(it.id, 0) + 2),
            float(counts.get(it.id, 0)),
        )
        for it in sim.items
    )
    tracker = KTMasteryTracker(
        learner_model,
        skill_id,
        item_offsets=item_offsets_from_log(attempts) if KT_MODEL != "bestlr" else None,
        problem_ids=problem_id,
        ability_prior=ABILITY_PRIOR,
    )
    histories = [
        [KTEvent(tuple(skill_id[s] for s in sk), correct) for _, sk, correct in answers]
        for answers in per.values()
    ]
    snapshots = mastery_snapshots(bkt, histories, list(skill_id.values()), SNAPSHOT_EVERY)
    upper = mine_prerequisites(
        list(sim.skills),
        np.concatenate(true_snapshots),
        threshold=0.5,
        max_violation=0.0,
        min_support=20,
    )
    tags = [it.skill_ids for it in sim.items]
    edges = mine_prerequisites(list(sim.skills), snapshots, item_skills=tags, **miner)
    alone = {  # ablation; max_violation -1: no pair passes the precedence test
        "co_tag": mine_prerequisites(
            list(sim.skills), snapshots, item_skills=tags, **(miner | {"max_violation": -1.0})
        ),
        "precedence": mine_prerequisites(list(sim.skills), snapshots, **miner),
    }
    truth = sim.true_graph

    def scored(found: list[Any]) -> Any:
        return score_edges([(e.prerequisite, e.dependent) for e in found], sim.prerequisite_edges)

    curated = {s: sorted(truth.predecessors(s)) for s in sim.skills}
    popularity = sorted(catalog.items, key=lambda i: (-catalog.items[i].popularity, i))
    learn_rates = {s: float(bkt.params_["learn"][skill_id[s]]) for s in sim.skills}
    return World(
        sim,
        catalog,
        tracker,
        learn_rates,
        curated,
        dict(edges_to_mapping(edges, list(sim.skills))),
        scored(edges),
        scored(upper),
        {kind: scored(found) for kind, found in alone.items()},
        popularity,
    )
