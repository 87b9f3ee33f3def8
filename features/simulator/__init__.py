"""Seeded learner simulator over a ground-truth skill prerequisite DAG.

Uses: synthetic ``LearningEvent`` streams shaped like real data; an environment
(``attempt`` / ``mastery``) to score recommendation and learning-path policies by learning
gain; ground truth for prerequisite mining, BKT/IRT parameter recovery and drift tests.

Generative model (knobs are :class:`SimulatorConfig` fields)
-------------------------------------------------------------
Skills
    ``n_skills`` skills in ``n_layers`` layers (each non-empty). A skill in layer ``l >= 1``
    has one sure prerequisite in layer ``l - 1``, each other skill there with probability
    ``edge_density`` and each skill of earlier layers with ``skip_edge_density``. Each skill
    has a learning rate ``learn_rate * exp(N(0, learn_rate_sd))``.
Items
    Primary skills are balanced over skills; a ``two_skill_fraction`` of items also exercise a
    prerequisite of it. ``b ~ N(difficulty_mean + depth_difficulty * centred layer,
    difficulty_sd)``, ``a = exp(N(0, discrimination_sd))`` clipped to [0.25, 4],
    guess ``g ~ U(0, guess_max)``, slip ``s ~ U(0, slip_max)``.
Learners
    ``theta ~ N(ability_mean, ability_sd)``. Knowledge is continuous, ``k in [0, 1]`` per skill
    (the probability-like level the post-test :meth:`LearnerSimulator.mastery` reports; a
    skill counts as mastered at ``k >= mastery_threshold``). Initially
    ``k = sigmoid(init_knowledge_bias + init_ability_weight * theta - init_depth_penalty *
    layer + N(0, init_knowledge_sd))``, capped by the weakest prerequisite, so roots and able
    learners start higher.
Response
    ``P(correct) = g + (1 - g - s) * sigmoid(a * (theta + knowledge_weight * (k - 0.5) - b))``
    with ``k`` the minimum knowledge over the item's skills (conjunctive).
Learning
    After each answer every skill of the item gains
    ``dk = rate * exp(ability_learning_weight * theta) * gate * zpd(P) * feedback * (1 - k)``.
    ``gate = floor + (1 - floor) * sigmoid((m - mastery_threshold) / 0.05)`` with ``m`` the
    weakest prerequisite knowledge (1 for roots, ``floor = prereq_gate_floor``);
    ``zpd(P) = 1 - zpd_strength + zpd_strength * exp(-((P - zpd_target) / zpd_width)^2 / 2)``,
    a mild bonus in ``[1 - zpd_strength, 1]`` for items near the learner's level;
    ``feedback`` is 1 after a correct answer and ``wrong_answer_learning`` after a wrong one.
Forgetting
    Since its last practice at ``t0`` a skill decays as
    ``k(t) = k(t0) * (f + (1 - f) * 2 ** (-(t - t0) / half_life))`` with
    ``f = retention_floor``, ``half_life = forgetting_half_life_days``.
Streams
    Learners join within ``enrollment_days``; sessions of ``1 + Poisson(session_length_mean
    - 1)`` answers are separated by log-normal gaps around ``session_gap_hours``; time on task
    is log-normal around ``duration_median_s``, longer when ``b > theta``.
Randomness
    Independent ``numpy.random.Generator`` streams spawned from ``seed`` for the world, the
    cohort, responses, policy choices and timing/ids: same seed and same calls give a
    bit-identical stream. ``clone()`` copies everything (common random numbers);
    ``fork(key)`` re-seeds the future.
Drift
    :meth:`LearnerSimulator.with_drift` returns a copy with harder items and/or an appended
    cohort of lower (or higher) ability.
"""

from features.simulator.config import SimulatorConfig, SimulatorConfigError
from features.simulator.errors import UnknownItemError, UnknownLearnerError
from features.simulator.policies import Policy
from features.simulator.simulator import LearnerSimulator
from features.simulator.world import SimItem

__all__ = [
    "LearnerSimulator",
    "Policy",
    "SimItem",
    "SimulatorConfig",
    "SimulatorConfigError",
    "UnknownItemError",
    "UnknownLearnerError",
]
