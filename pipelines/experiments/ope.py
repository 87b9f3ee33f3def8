"""Off-policy evaluation: a candidate policy's value from exposures logged with propensities.

Logged data is one row per decision ``i``: the reward ``r_i`` of the action the serving
(logging) policy took, that action's logged propensity ``p_i = pi0(a_i | x_i)`` (what RES/LPS
write to ``LearningEvent.context.propensity``) and the candidate's probability
``pi(a_i | x_i)`` of taking the same action. With ``w_i = pi(a_i | x_i) / p_i``:

* IPS: ``mean(w r)``; unbiased when every action the candidate takes had ``p > 0``.
* SNIPS: ``sum(w r) / sum(w)``; slightly biased, much lower variance.
* Doubly robust: ``mean(q_pi(x_i) + w_i (r_i - q(x_i, a_i)))`` with a reward model ``q``
  and ``q_pi(x) = sum_a pi(a | x) q(x, a)``; unbiased if either the propensities or ``q``
  are right, and lower variance than IPS when ``q`` is good.

Every estimate comes with a standard error (from the per-row influence terms), a normal CI
and the effect against the logging policy (``value - mean(r)``), so candidates can be ranked
before an A/B test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from pipelines.experiments.stats import FloatArray


@dataclass(frozen=True)
class OpeEstimate:
    """One estimator's value of the candidate policy and its effect over the logging policy.

    Attributes
    ----------
    estimator : str
        ``ips``, ``snips`` or ``dr``.
    value, se, ci_low, ci_high : float
        Estimated policy value (mean reward per decision) with its ``1 - alpha`` CI.
    effect, effect_se, effect_ci_low, effect_ci_high : float
        Value minus the logging policy's observed mean reward.
    n : int
        Logged decisions used.
    effective_sample_size : float
        ``(sum w)^2 / sum(w^2)``: how many on-policy samples the estimate is worth.
    """

    estimator: str
    value: float
    se: float
    ci_low: float
    ci_high: float
    effect: float
    effect_se: float
    effect_ci_low: float
    effect_ci_high: float
    n: int
    effective_sample_size: float


def _check(rewards: FloatArray, propensities: FloatArray, target: FloatArray) -> None:
    if not (rewards.shape == propensities.shape == target.shape) or rewards.ndim != 1:
        raise ValueError(
            "rewards, propensities and target probabilities must be 1-d and of equal length; "
            f"got shapes {rewards.shape}, {propensities.shape}, {target.shape}"
        )
    if rewards.size == 0:
        raise ValueError("no logged decisions to evaluate")
    bad = ~((propensities > 0) & (propensities <= 1))
    if bad.any():
        raise ValueError(
            f"propensity {float(propensities[bad][0])!r} at row {int(np.flatnonzero(bad)[0])} is "
            "invalid; allowed: 0 < p <= 1 (log the serving propensity with every exposure)"
        )
    if ((target < 0) | (target > 1)).any():
        raise ValueError("target policy probabilities must lie in [0, 1]")


def _estimate(
    name: str,
    terms: FloatArray,
    value: float,
    rewards: FloatArray,
    weights: FloatArray,
    alpha: float,
) -> OpeEstimate:
    n = terms.size
    z = float(stats.norm.ppf(1 - alpha / 2))
    se = float(terms.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    effect_terms = terms - (rewards - rewards.mean())
    effect = value - float(rewards.mean())
    effect_se = float(effect_terms.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    ess = float(weights.sum() ** 2 / (weights**2).sum()) if (weights > 0).any() else 0.0
    return OpeEstimate(
        estimator=name,
        value=value,
        se=se,
        ci_low=value - z * se,
        ci_high=value + z * se,
        effect=effect,
        effect_se=effect_se,
        effect_ci_low=effect - z * effect_se,
        effect_ci_high=effect + z * effect_se,
        n=n,
        effective_sample_size=ess,
    )


def _arrays(*values: FloatArray) -> list[FloatArray]:
    return [np.asarray(v, dtype=np.float64) for v in values]


def ips(
    rewards: FloatArray, propensities: FloatArray, target_probs: FloatArray, *, alpha: float = 0.05
) -> OpeEstimate:
    """Inverse propensity scoring estimate of the candidate policy's value."""
    r, p, pi = _arrays(rewards, propensities, target_probs)
    _check(r, p, pi)
    w = pi / p
    terms = w * r
    return _estimate("ips", terms, float(terms.mean()), r, w, alpha)


def snips(
    rewards: FloatArray, propensities: FloatArray, target_probs: FloatArray, *, alpha: float = 0.05
) -> OpeEstimate:
    """Self-normalised IPS: ``sum(w r) / sum(w)``; SE by linearisation."""
    r, p, pi = _arrays(rewards, propensities, target_probs)
    _check(r, p, pi)
    w = pi / p
    if w.sum() == 0:
        raise ValueError("the candidate never takes a logged action: SNIPS is undefined")
    value = float((w * r).sum() / w.sum())
    # Influence of each row on the ratio estimator, re-centred on the value (mean = value).
    terms = value + w * (r - value) / w.mean()
    return _estimate("snips", terms, value, r, w, alpha)


def doubly_robust(
    rewards: FloatArray,
    propensities: FloatArray,
    target_probs: FloatArray,
    q_logged: FloatArray,
    q_target: FloatArray,
    *,
    alpha: float = 0.05,
) -> OpeEstimate:
    """Doubly robust estimate.

    Parameters
    ----------
    rewards, propensities, target_probs : array
        As for :func:`ips`.
    q_logged : array
        Reward model's prediction for the logged action, ``q(x_i, a_i)``.
    q_target : array
        Reward model's expected reward under the candidate, ``sum_a pi(a | x_i) q(x_i, a)``.
    """
    r, p, pi, q_a, q_pi = _arrays(rewards, propensities, target_probs, q_logged, q_target)
    _check(r, p, pi)
    if q_a.shape != r.shape or q_pi.shape != r.shape:
        raise ValueError("q_logged and q_target must have one value per logged decision")
    w = pi / p
    terms = q_pi + w * (r - q_a)
    return _estimate("dr", terms, float(terms.mean()), r, w, alpha)


def evaluate_policy(
    rewards: FloatArray,
    propensities: FloatArray,
    target_probs: FloatArray,
    *,
    q_logged: FloatArray | None = None,
    q_target: FloatArray | None = None,
    alpha: float = 0.05,
) -> dict[str, OpeEstimate]:
    """IPS, SNIPS and (with a reward model) doubly-robust estimates, keyed by estimator."""
    out = {
        "ips": ips(rewards, propensities, target_probs, alpha=alpha),
        "snips": snips(rewards, propensities, target_probs, alpha=alpha),
    }
    if q_logged is not None and q_target is not None:
        out["dr"] = doubly_robust(
            rewards, propensities, target_probs, q_logged, q_target, alpha=alpha
        )
    return out
