"""Knowledge-tracing test data: simulator learners as KT sequences, and a pure BKT sampler."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from features.simulator import LearnerSimulator, SimulatorConfig
from models.kt import InteractionSequence


def simulator_sequences(
    n_learners: int = 240, events: int = 60, *, n_skills: int = 8, n_items: int = 80, seed: int = 3
) -> list[InteractionSequence]:
    """Seeded simulator learners (random policy) as row sequences with skill and problem ids.

    Skill ``skill-007`` becomes id 8 and ``item-0041`` becomes problem 42 (ids start at 1);
    a two-skill item gives two consecutive rows with the same problem id.
    """
    config = SimulatorConfig(
        n_learners=n_learners, n_skills=n_skills, n_layers=2, n_items=n_items, seed=seed
    )
    sim = LearnerSimulator(config)
    rows: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for event in sim.generate(events):
        problem = int(event.object.id.split("-")[1]) + 1
        for skill in event.skill_ids:
            rows[event.learner_id].append(
                (int(skill.split("-")[1]) + 1, int(bool(event.correct)), problem)
            )
    out = []
    for learner in sorted(rows):
        arr = np.array(rows[learner], dtype=np.int64)
        out.append(InteractionSequence(arr[:, 0], arr[:, 1].astype(np.int8), arr[:, 2]))
    return out


def sample_bkt(
    params: dict[str, list[float]], n_learners: int, length: int, seed: int = 0
) -> list[InteractionSequence]:
    """Learners drawn from a BKT HMM with known per-skill ``prior/learn/forget/guess/slip``.

    Every learner practises every skill ``length`` times, skills interleaved at random.
    """
    rng = np.random.default_rng(seed)
    n_skills = len(params["prior"])
    p = {k: np.asarray(v) for k, v in params.items()}
    out = []
    for _ in range(n_learners):
        order = rng.permutation(np.repeat(np.arange(n_skills), length))
        learned = rng.random(n_skills) < p["prior"]
        correct = np.empty(order.size, dtype=np.int8)
        for t, k in enumerate(order):
            correct[t] = rng.random() < (1 - p["slip"][k] if learned[k] else p["guess"][k])
            if learned[k]:
                learned[k] = rng.random() >= p["forget"][k]
            else:
                learned[k] = rng.random() < p["learn"][k]
        out.append(InteractionSequence(order + 1, correct))
    return out


def split(
    seqs: list[InteractionSequence], parts: tuple[float, ...] = (0.6, 0.2)
) -> list[list[InteractionSequence]]:
    """Train/valid/test by learner (fractions of the list, in order)."""
    n = len(seqs)
    a = int(parts[0] * n)
    b = a + int(parts[1] * n)
    return [seqs[:a], seqs[a:b], seqs[b:]]
