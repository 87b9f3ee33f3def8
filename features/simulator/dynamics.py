"""Vectorized equations of the generative model: forgetting, response, learning.

All functions are pure; shapes are documented per argument (``n`` attempts, ``S`` skills).
"""

from __future__ import annotations

import numpy as np

from features.simulator.config import SimulatorConfig
from features.simulator.world import FloatArray, IntArray, ItemBank, SkillGraph

SECONDS_PER_DAY = 86_400.0
# Width of the logistic ramp that turns prerequisite knowledge into a learning gate.
GATE_SCALE = 0.05


def sigmoid(x: FloatArray) -> FloatArray:
    """Logistic function."""
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def knowledge_at(
    k_last: FloatArray, t_last: FloatArray, now: FloatArray, config: SimulatorConfig
) -> FloatArray:
    """Knowledge at time ``now`` (seconds) after exponential decay since the last update.

    ``k(t) = k_last * (f + (1 - f) * 2 ** (-(t - t_last) / half_life))`` with
    ``f = retention_floor``: a skill never drops below the floor share of its last level.
    Arrays broadcast, e.g. ``(n, S)`` state with ``now`` of shape ``(n, 1)``.
    """
    half_life = config.forgetting_half_life_days * SECONDS_PER_DAY
    elapsed = np.maximum(now - t_last, 0.0)
    f = config.retention_floor
    return np.asarray(k_last * (f + (1.0 - f) * np.exp2(-elapsed / half_life)), dtype=np.float64)


def item_knowledge(knowledge: FloatArray, item_skills: IntArray) -> FloatArray:
    """Conjunctive knowledge of each attempt's item: the minimum over its skills.

    ``knowledge`` is ``(n, S)``, ``item_skills`` ``(n, 2)`` padded with -1; returns ``(n,)``.
    """
    filled = np.where(item_skills >= 0, item_skills, item_skills[:, :1])
    rows = np.arange(knowledge.shape[0])[:, None]
    return np.asarray(knowledge[rows, filled].min(axis=1), dtype=np.float64)


def p_correct(
    theta: FloatArray,
    knowledge: FloatArray,
    items: IntArray,
    bank: ItemBank,
    config: SimulatorConfig,
) -> FloatArray:
    """True success probability of ``n`` attempts.

    ``P = g + (1 - g - s) * sigmoid(a * (theta + w * (k - 0.5) - b))`` where ``k`` is the
    item knowledge from :func:`item_knowledge` and ``w = knowledge_weight``.
    """
    k = item_knowledge(knowledge, bank.skills[items])
    logit = bank.discrimination[items] * (
        theta + config.knowledge_weight * (k - 0.5) - bank.difficulty[items]
    )
    guess, slip = bank.guess[items], bank.slip[items]
    return np.asarray(guess + (1.0 - guess - slip) * sigmoid(logit), dtype=np.float64)


def prerequisite_gate(
    knowledge: FloatArray, graph: SkillGraph, config: SimulatorConfig
) -> FloatArray:
    """Learning gate of every skill, ``(n, S)``: 1 for roots, near the floor if unready.

    ``gate = floor + (1 - floor) * sigmoid((m - mastery_threshold) / GATE_SCALE)`` where ``m``
    is the learner's weakest prerequisite knowledge.
    """
    if graph.parents.shape[1] == 0:
        return np.ones_like(knowledge)
    gathered = np.where(graph.parents >= 0, knowledge[:, graph.parents], 1.0)
    weakest = gathered.min(axis=2)
    floor = config.prereq_gate_floor
    gate = floor + (1.0 - floor) * sigmoid((weakest - config.mastery_threshold) / GATE_SCALE)
    return np.asarray(np.where(graph.has_parents, gate, 1.0), dtype=np.float64)


def zpd_multiplier(p: FloatArray, config: SimulatorConfig) -> FloatArray:
    """Mild zone-of-proximal-development bonus in ``[1 - zpd_strength, 1]``, peaking at target."""
    s = config.zpd_strength
    bump = np.exp(-0.5 * ((p - config.zpd_target) / config.zpd_width) ** 2)
    return np.asarray(1.0 - s + s * bump, dtype=np.float64)


def learning_gain(
    knowledge: FloatArray,
    skills: IntArray,
    *,
    rate: FloatArray,
    gate: FloatArray,
    p: FloatArray,
    correct: np.ndarray,
    config: SimulatorConfig,
) -> FloatArray:
    """Knowledge gain of one practised skill per attempt, ``(n,)``.

    ``dk = rate * gate * zpd(p) * feedback * (1 - k)`` where ``feedback`` is 1 after a correct
    answer and ``wrong_answer_learning`` after a wrong one; ``rate`` already includes the
    skill's rate and the learner's speed.
    """
    rows = np.arange(knowledge.shape[0])
    feedback = np.where(correct, 1.0, config.wrong_answer_learning)
    headroom = 1.0 - knowledge[rows, skills]
    return np.asarray(
        rate * gate[rows, skills] * zpd_multiplier(p, config) * feedback * headroom,
        dtype=np.float64,
    )
