"""Proofs of correctness of the analysis with the learner simulator (used by tests and the CLI).

The simulator is run once to get every learner's potential outcomes; thousands of experiments
are then re-randomised over that population with numpy (one row per experiment), so the
studies take seconds:

* :func:`aa_study`: A/A tests assigned with the production hash under many salts. The
  false-positive rate of the Welch test and of CUPED must be within ``alpha`` ± sampling error;
  peeking at every look with a fixed-horizon test inflates it, the mSPRT does not.
* :func:`ab_study`: a real treatment run in the simulator (known true effect from the two
  potential outcomes); empirical power vs the power the effect and standard error predict, CI
  coverage of the true effect, and the variance CUPED removes with a pre-period covariate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from features.events import LearningEvent
from features.simulator import LearnerSimulator, SimulatorConfig
from pipelines.experiments.assignment import hash_units, variant_index
from pipelines.experiments.sequential import default_tau, msprt
from pipelines.experiments.stats import (
    FloatArray,
    Moments,
    cuped,
    difference_in_means,
    effect_from_moments,
    power_of_test,
)


@dataclass(frozen=True)
class PotentialOutcomes:
    """Per-learner pre-period metric ``x`` and in-experiment metric under control / treatment.

    Both arms run on exact clones of one simulated population (common random numbers), so
    ``y1 - y0`` is each learner's true effect and its mean the true average effect.
    """

    learner_ids: tuple[str, ...]
    x: FloatArray
    y0: FloatArray
    y1: FloatArray

    @property
    def ate(self) -> float:
        """True average treatment effect over the population."""
        return float((self.y1 - self.y0).mean())


def accuracy_by_learner(events: Sequence[LearningEvent], learner_ids: Sequence[str]) -> FloatArray:
    """Share of correct answers of each learner in ``events`` (aligned with ``learner_ids``)."""
    index = {lid: i for i, lid in enumerate(learner_ids)}
    correct = np.zeros(len(learner_ids))
    answered = np.zeros(len(learner_ids))
    for event in events:
        i = index[event.learner_id]
        answered[i] += 1
        correct[i] += bool(event.correct)
    with np.errstate(invalid="ignore", divide="ignore"):
        return correct / answered


def simulate_potential_outcomes(
    *,
    n_learners: int = 3000,
    seed: int = 7,
    pre_answers: int = 15,
    answers: int = 15,
    excluded_hardest: float = 0.1,
) -> PotentialOutcomes:
    """Accuracy before and during an experiment whose treatment hides the hardest items.

    Control serves uniformly random items; treatment serves random items but never the
    ``excluded_hardest`` share of hardest ones (a small, real, positive effect on accuracy).
    """
    sim = LearnerSimulator(SimulatorConfig(n_learners=n_learners, seed=seed))
    x = accuracy_by_learner(sim.generate(pre_answers), sim.learner_ids)
    control, treatment = sim.clone(), sim.clone()
    y0 = accuracy_by_learner(control.generate(answers, policy="random"), sim.learner_ids)
    by_difficulty = sorted(sim.items, key=lambda item: item.difficulty)
    pool = [item.id for item in by_difficulty[: round((1 - excluded_hardest) * len(sim.items))]]
    rng = np.random.default_rng(seed + 1)
    events = treatment.generate(answers, policy=lambda _sim, _lid: pool[rng.integers(len(pool))])
    y1 = accuracy_by_learner(events, sim.learner_ids)
    return PotentialOutcomes(sim.learner_ids, x, y0, y1)


def _looks(n_units: int, n_looks: int) -> np.ndarray:
    return np.unique(np.linspace(n_units / n_looks, n_units, n_looks).round().astype(int)) - 1


def peeking_rejections(
    y: FloatArray, treated: np.ndarray, *, alpha: float, n_looks: int, tau: float
) -> tuple[np.ndarray, np.ndarray]:
    """Whether a fixed-horizon test at any look / the mSPRT rejected, per experiment (row).

    Units arrive in column order; looks are evenly spaced. ``y`` is ``(n_units,)`` or
    ``(n_experiments, n_units)`` and ``treated`` is ``(n_experiments, n_units)``.
    """
    y = np.broadcast_to(y, treated.shape)
    at = _looks(treated.shape[1], n_looks)

    def moments(mask: np.ndarray) -> Moments:
        n = np.cumsum(mask, axis=1)[:, at]
        total = np.cumsum(np.where(mask, y, 0.0), axis=1)[:, at]
        total_sq = np.cumsum(np.where(mask, y * y, 0.0), axis=1)[:, at]
        return Moments.from_sums(n, total, total_sq)

    effect = effect_from_moments(moments(~treated), moments(treated), alpha=alpha)
    naive = np.nan_to_num(effect.p_value, nan=1.0) < alpha
    sequential = msprt(effect.diff, effect.se**2, tau=tau, alpha=alpha)
    return np.asarray(naive.any(axis=1)), np.asarray(sequential.rejected[:, -1])


@dataclass(frozen=True)
class AAResult:
    """False-positive rates of A/A experiments (share of experiments that rejected)."""

    n_experiments: int
    n_units: int
    alpha: float
    fpr_welch: float
    fpr_cuped: float
    fpr_peeking_naive: float
    fpr_peeking_msprt: float
    n_looks: int

    @property
    def sampling_error(self) -> float:
        """Standard error of a rate ``alpha`` estimated from ``n_experiments``."""
        return float(np.sqrt(self.alpha * (1 - self.alpha) / self.n_experiments))


def aa_study(
    outcomes: PotentialOutcomes,
    *,
    n_experiments: int = 2000,
    n_units: int = 1500,
    alpha: float = 0.05,
    n_looks: int = 20,
) -> AAResult:
    """A/A tests: the production hash with salts ``aa-0 ...`` splits the same learners 50/50."""
    ids = outcomes.learner_ids[:n_units]
    y, x = outcomes.y0[:n_units], outcomes.x[:n_units]
    u = np.stack([hash_units(f"aa-{s}", ids) for s in range(n_experiments)])
    treated = variant_index(u, [0.5, 0.5]) == 1
    control_y = np.where(treated, np.nan, y)
    treated_y = np.where(treated, y, np.nan)
    welch = difference_in_means(control_y, treated_y, alpha=alpha)
    adjusted = cuped(
        control_y,
        np.where(treated, np.nan, x),
        treated_y,
        np.where(treated, x, np.nan),
        alpha=alpha,
    )
    tau = default_tau(float(np.nanstd(x)), n_units / 2)
    naive, sequential = peeking_rejections(y, treated, alpha=alpha, n_looks=n_looks, tau=tau)
    return AAResult(
        n_experiments=n_experiments,
        n_units=len(ids),
        alpha=alpha,
        fpr_welch=float(welch.significant.mean()),
        fpr_cuped=float(adjusted.effect.significant.mean()),
        fpr_peeking_naive=float(naive.mean()),
        fpr_peeking_msprt=float(sequential.mean()),
        n_looks=n_looks,
    )


@dataclass(frozen=True)
class ABResult:
    """Power, coverage and CUPED variance reduction of A/B experiments with a known effect."""

    n_experiments: int
    mean_units: float
    alpha: float
    true_effect: float
    power_welch: float
    expected_power_welch: float
    power_cuped: float
    expected_power_cuped: float
    coverage_welch: float
    coverage_cuped: float
    variance_reduction: float
    squared_correlation: float
    power_msprt: float

    def power_tolerance(self, power: float) -> float:
        """Three binomial standard errors of an estimated power."""
        return float(3 * np.sqrt(max(power * (1 - power), 0.01) / self.n_experiments))


def ab_study(
    outcomes: PotentialOutcomes,
    *,
    n_experiments: int = 1000,
    traffic: float = 0.5,
    alpha: float = 0.05,
    n_looks: int = 20,
    seed: int = 0,
) -> ABResult:
    """A/B tests on ``traffic`` of the population, 50/50, each unit showing one potential outcome.

    Expected power is the two-sided z-test power of the true effect at the median estimated
    standard error; coverage is the share of CIs that contain the true effect.
    """
    rng = np.random.default_rng(seed)
    shape = (n_experiments, outcomes.y0.size)
    enrolled = rng.random(shape) < traffic
    treated = rng.random(shape) < 0.5
    control_mask, treated_mask = enrolled & ~treated, enrolled & treated
    cy = np.where(control_mask, outcomes.y0, np.nan)
    ty = np.where(treated_mask, outcomes.y1, np.nan)
    cx = np.where(control_mask, outcomes.x, np.nan)
    tx = np.where(treated_mask, outcomes.x, np.nan)
    truth = outcomes.ate
    welch = difference_in_means(cy, ty, alpha=alpha)
    adjusted = cuped(cy, cx, ty, tx, alpha=alpha)

    def covered(ci_low: FloatArray, ci_high: FloatArray) -> float:
        return float(((ci_low <= truth) & (truth <= ci_high)).mean())

    # Sequential: enrolled units arrive in column order; y shows the assigned potential outcome.
    observed = np.where(treated, outcomes.y1, outcomes.y0)
    order = np.argsort(~enrolled, axis=1, kind="stable")
    y_seq = np.take_along_axis(observed, order, axis=1)
    t_seq = np.take_along_axis(treated & enrolled, order, axis=1)
    in_seq = np.take_along_axis(enrolled, order, axis=1)
    n_seq = int(in_seq.sum(axis=1).min())
    tau = default_tau(float(np.nanstd(outcomes.x)), n_seq / 2)
    _, sequential = peeking_rejections(
        y_seq[:, :n_seq], t_seq[:, :n_seq], alpha=alpha, n_looks=n_looks, tau=tau
    )
    x, y = outcomes.x, outcomes.y0
    return ABResult(
        n_experiments=n_experiments,
        mean_units=float(enrolled.sum(axis=1).mean()),
        alpha=alpha,
        true_effect=truth,
        power_welch=float(welch.significant.mean()),
        expected_power_welch=power_of_test(truth, float(np.median(welch.se)), alpha=alpha),
        power_cuped=float(adjusted.effect.significant.mean()),
        expected_power_cuped=power_of_test(
            truth, float(np.median(adjusted.effect.se)), alpha=alpha
        ),
        coverage_welch=covered(welch.ci_low, welch.ci_high),
        coverage_cuped=covered(adjusted.effect.ci_low, adjusted.effect.ci_high),
        variance_reduction=float(np.mean(adjusted.variance_reduction)),
        squared_correlation=float(np.corrcoef(x, y)[0, 1] ** 2),
        power_msprt=float(sequential.mean()),
    )
