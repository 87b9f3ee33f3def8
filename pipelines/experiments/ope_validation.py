"""Validate the off-policy estimators against actually running each policy in the simulator.

A population first answers ``pre_answers`` random items; its pre-period accuracy ``x`` is the
context a policy sees. Each learner then gets one item chosen from ``K`` items of increasing
difficulty. The logging policy is a stochastic softmax of ``x`` (its propensities are logged
as RES would log them); every candidate is evaluated off-policy from that log and then really
run on an exact clone of the same population, whose mean reward is the truth.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from features.simulator import LearnerSimulator, SimulatorConfig
from pipelines.experiments.ope import OpeEstimate, evaluate_policy
from pipelines.experiments.stats import FloatArray
from pipelines.experiments.validation import accuracy_by_learner

# A policy maps contexts (n,) to action probabilities (n, K).
PolicyProbs = Callable[[FloatArray], FloatArray]
QUANTILES = (0.1, 0.3, 0.5, 0.7, 0.9)


def logging_policy(x: FloatArray) -> FloatArray:
    """Stochastic serving policy: stronger learners get harder items more often (all p > 0)."""
    k = len(QUANTILES)
    logits = 4.0 * (x[:, None] - 0.5) * (np.arange(k)[None, :] - (k - 1) / 2) / (k - 1)
    weights = np.exp(logits)
    return np.asarray(weights / weights.sum(axis=1, keepdims=True), dtype=np.float64)


def deterministic(choice: Callable[[FloatArray], np.ndarray]) -> PolicyProbs:
    """A policy that always takes ``choice(x)`` as a one-hot probability matrix."""

    def probs(x: FloatArray) -> FloatArray:
        out = np.zeros((x.size, len(QUANTILES)))
        out[np.arange(x.size), choice(x)] = 1.0
        return out

    return probs


CANDIDATES: dict[str, PolicyProbs] = {
    "easiest": deterministic(lambda x: np.zeros(x.size, dtype=np.int64)),
    "hardest": deterministic(lambda x: np.full(x.size, len(QUANTILES) - 1, dtype=np.int64)),
    "by_level": deterministic(
        lambda x: np.clip((x * len(QUANTILES)).astype(np.int64) - 1, 0, len(QUANTILES) - 1)
    ),
    "uniform": lambda x: np.full((x.size, len(QUANTILES)), 1.0 / len(QUANTILES)),
}


@dataclass(frozen=True)
class OpeCheck:
    """Off-policy estimates of one candidate and the value of really running it."""

    policy: str
    true_value: float
    true_value_se: float
    true_effect: float
    estimates: dict[str, OpeEstimate]

    def z_score(self, estimator: str) -> float:
        """(estimate − truth) / combined standard error."""
        est = self.estimates[estimator]
        return (est.value - self.true_value) / float(np.hypot(est.se, self.true_value_se))


def _run(sim: LearnerSimulator, actions: np.ndarray, item_ids: list[str]) -> FloatArray:
    chosen = {lid: item_ids[a] for lid, a in zip(sim.learner_ids, actions.tolist(), strict=True)}
    return accuracy_by_learner(sim.generate(1, policy=lambda _s, lid: chosen[lid]), sim.learner_ids)


def ope_study(
    *, n_learners: int = 6000, seed: int = 3, pre_answers: int = 10
) -> tuple[list[OpeCheck], float]:
    """Evaluate every candidate in :data:`CANDIDATES`; returns checks and the logged value."""
    sim = LearnerSimulator(SimulatorConfig(n_learners=n_learners, seed=seed))
    x = accuracy_by_learner(sim.generate(pre_answers), sim.learner_ids)
    by_difficulty = sorted(sim.items, key=lambda item: item.difficulty)
    item_ids = [by_difficulty[int(q * (len(by_difficulty) - 1))].id for q in QUANTILES]
    rng = np.random.default_rng(seed + 100)
    log_probs = logging_policy(x)
    cumulative = log_probs.cumsum(axis=1)
    logged = (rng.random((x.size, 1)) > cumulative).sum(axis=1)
    rewards = _run(sim.clone(), logged, item_ids)
    propensity = log_probs[np.arange(x.size), logged]
    # Reward model for DR: per-action linear regression of the reward on the context.
    design = np.column_stack([np.ones_like(x), x])
    q = np.zeros_like(log_probs)
    for action in range(len(QUANTILES)):
        rows = logged == action
        coef, *_ = np.linalg.lstsq(design[rows], rewards[rows], rcond=None)
        q[:, action] = design @ coef
    checks = []
    for name, policy in CANDIDATES.items():
        probs = policy(x)
        target = probs[np.arange(x.size), logged]
        estimates = evaluate_policy(
            rewards,
            propensity,
            target,
            q_logged=q[np.arange(x.size), logged],
            q_target=(probs * q).sum(axis=1),
        )
        actions = (rng.random((x.size, 1)) > probs.cumsum(axis=1)).sum(axis=1)
        truth = _run(sim.clone(), actions, item_ids)
        checks.append(
            OpeCheck(
                policy=name,
                true_value=float(truth.mean()),
                true_value_se=float(truth.std(ddof=1) / np.sqrt(truth.size)),
                true_effect=float(truth.mean() - rewards.mean()),
                estimates=estimates,
            )
        )
    return checks, float(rewards.mean())
