"""Always-valid inference for peeking: the mixture sequential probability ratio test (mSPRT).

Johari, Pekelis, Walsh (2017), "Always valid inference": with the difference-in-means estimate
``d`` of variance ``s2`` at a look and a normal mixing distribution ``N(theta0, tau^2)`` on the
effect, the mixture likelihood ratio is

    Lambda = sqrt(s2 / (s2 + tau^2)) * exp(tau^2 (d - theta0)^2 / (2 s2 (s2 + tau^2)))

Stopping the first time ``Lambda >= 1 / alpha`` keeps the false-positive rate at most
``alpha`` however often one looks. The always-valid p-value is the running minimum of
``1 / Lambda``; inverting the test gives a confidence sequence (an interval valid at every
look simultaneously). ``tau`` only trades power between small and large effects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.experiments.stats import FloatArray


def msprt_log_lr(diff: FloatArray, var: FloatArray, tau: float, theta0: float = 0.0) -> FloatArray:
    """log Lambda of the normal-mixture SPRT for an estimate ``diff`` with variance ``var``."""
    tau2 = tau**2
    with np.errstate(invalid="ignore", divide="ignore"):
        out = 0.5 * np.log(var / (var + tau2)) + tau2 * (diff - theta0) ** 2 / (
            2.0 * var * (var + tau2)
        )
    return np.asarray(np.where(np.isfinite(out), out, -np.inf), dtype=np.float64)


def confidence_sequence_halfwidth(var: FloatArray, tau: float, alpha: float) -> FloatArray:
    """Half-width of the always-valid interval ``{theta: Lambda(theta) < 1 / alpha}``."""
    tau2 = tau**2
    with np.errstate(invalid="ignore", divide="ignore"):
        radius = (2.0 * var * (var + tau2) / tau2) * (
            np.log(1.0 / alpha) + 0.5 * np.log((var + tau2) / var)
        )
    return np.asarray(np.sqrt(radius), dtype=np.float64)


@dataclass(frozen=True)
class SequentialResult:
    """mSPRT over a sequence of looks (last axis = looks).

    Attributes
    ----------
    p_value : array
        Always-valid p-value after each look (non-increasing).
    ci_low, ci_high : array
        Confidence sequence at each look.
    rejected : array of bool
        Whether the null had been rejected by each look (once rejected, stays rejected).
    first_rejection : array of int
        Index of the first look that rejected, -1 if none.
    """

    p_value: FloatArray
    ci_low: FloatArray
    ci_high: FloatArray
    rejected: np.ndarray
    first_rejection: np.ndarray
    tau: float
    alpha: float


def msprt(
    diff: FloatArray, var: FloatArray, *, tau: float, alpha: float = 0.05, theta0: float = 0.0
) -> SequentialResult:
    """Run the mSPRT over looks.

    Parameters
    ----------
    diff, var : array
        Difference-in-means estimate and its variance (``se**2``) at each look (last axis).
        Looks with a non-finite variance (too little data yet) never reject.
    tau : float
        Standard deviation of the normal mixing distribution (same unit as ``diff``); a good
        choice is the size of effect you care about.
    alpha : float
        Bound on the probability of ever rejecting a true null.
    theta0 : float
        Null effect.
    """
    if not tau > 0:
        raise ValueError(f"tau={tau!r} is invalid; allowed: > 0")
    diff = np.asarray(diff, dtype=np.float64)
    var = np.asarray(var, dtype=np.float64)
    log_lr = msprt_log_lr(diff, var, tau, theta0)
    p_now = np.minimum(1.0, np.exp(-log_lr))
    p_value = np.minimum.accumulate(p_now, axis=-1)
    rejected = p_value <= alpha
    any_rejected = rejected.any(axis=-1)
    first = np.where(any_rejected, rejected.argmax(axis=-1), -1)
    half = confidence_sequence_halfwidth(var, tau, alpha)
    # The running intersection of the intervals is itself a valid confidence sequence.
    low = np.maximum.accumulate(np.where(np.isfinite(half), diff - half, -np.inf), axis=-1)
    high = np.minimum.accumulate(np.where(np.isfinite(half), diff + half, np.inf), axis=-1)
    return SequentialResult(
        p_value=p_value,
        ci_low=low,
        ci_high=high,
        rejected=rejected,
        first_rejection=first,
        tau=tau,
        alpha=alpha,
    )


def default_tau(sd: float, n_per_arm: float) -> float:
    """A mixing scale: the effect a fixed-horizon test at this size detects with ~50% power.

    That is ``1.96 * sd * sqrt(2 / n)``; it concentrates power on effects the experiment can
    plausibly find. Falls back to ``sd`` (or 1) when ``n`` is unknown.
    """
    if not (np.isfinite(sd) and sd > 0):
        return 1.0
    if not (np.isfinite(n_per_arm) and n_per_arm > 1):
        return float(sd)
    return float(1.96 * sd * np.sqrt(2.0 / n_per_arm))
