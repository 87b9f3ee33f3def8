"""Configuration of the learner simulator: every knob, its default and its allowed range."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime


class SimulatorConfigError(ValueError):
    """A :class:`SimulatorConfig` field is out of range; the message names the field."""

    def __init__(self, name: str, value: object, allowed: str) -> None:
        self.field = name
        super().__init__(f"{name}={value!r} is invalid; allowed: {allowed}")


# field -> (low, high, low inclusive, high inclusive); None means unbounded.
_Range = tuple[float | None, float | None, bool, bool]
_INT_RANGES: dict[str, _Range] = {
    "n_skills": (1, None, True, False),
    "n_layers": (1, None, True, False),
    "n_items": (1, None, True, False),
    "n_learners": (1, None, True, False),
    "seed": (0, None, True, False),
}
_UNIT = (0.0, 1.0, True, True)
_POSITIVE = (0.0, None, False, False)
_NON_NEGATIVE = (0.0, None, True, False)
_FLOAT_RANGES: dict[str, _Range] = {
    "edge_density": _UNIT,
    "skip_edge_density": _UNIT,
    "two_skill_fraction": _UNIT,
    "ability_mean": (None, None, False, False),
    "ability_sd": _NON_NEGATIVE,
    "difficulty_mean": (None, None, False, False),
    "difficulty_sd": _NON_NEGATIVE,
    "depth_difficulty": (None, None, False, False),
    "discrimination_sd": _NON_NEGATIVE,
    "guess_max": (0.0, 0.5, True, False),
    "slip_max": (0.0, 0.5, True, False),
    "knowledge_weight": _NON_NEGATIVE,
    "init_knowledge_bias": (None, None, False, False),
    "init_ability_weight": _NON_NEGATIVE,
    "init_depth_penalty": _NON_NEGATIVE,
    "init_knowledge_sd": _NON_NEGATIVE,
    "learn_rate": (0.0, 1.0, False, True),
    "learn_rate_sd": _NON_NEGATIVE,
    "ability_learning_weight": _NON_NEGATIVE,
    "wrong_answer_learning": _UNIT,
    "mastery_threshold": (0.0, 1.0, False, False),
    "prereq_gate_floor": _UNIT,
    "zpd_strength": _UNIT,
    "zpd_target": (0.0, 1.0, False, False),
    "zpd_width": _POSITIVE,
    "forgetting_half_life_days": _POSITIVE,
    "retention_floor": _UNIT,
    "enrollment_days": _NON_NEGATIVE,
    "session_length_mean": (1.0, None, True, False),
    "session_gap_hours": _POSITIVE,
    "duration_median_s": _POSITIVE,
}


def _describe(bounds: _Range) -> str:
    low, high, low_incl, high_incl = bounds
    parts = []
    if low is not None:
        parts.append(f"{'>=' if low_incl else '>'} {low}")
    if high is not None:
        parts.append(f"{'<=' if high_incl else '<'} {high}")
    return " and ".join(parts) or "any finite number"


def _inside(value: float, bounds: _Range) -> bool:
    low, high, low_incl, high_incl = bounds
    if low is not None and (value < low or (value == low and not low_incl)):
        return False
    return high is None or value < high or (value == high and high_incl)


@dataclass(frozen=True)
class SimulatorConfig:
    """All knobs of :class:`~features.simulator.LearnerSimulator`, validated on construction.

    Attributes
    ----------
    n_skills, n_layers : int
        Skills (default 20) spread over ``n_layers`` DAG layers (default 4, ``<= n_skills``).
    edge_density : float
        Probability that a skill of the previous layer is an extra prerequisite (default 0.3).
    skip_edge_density : float
        Probability of a prerequisite from two or more layers up (default 0.05).
    n_items : int
        Items (default 200, ``>= n_skills`` so that every skill has one).
    two_skill_fraction : float
        Share of items that also exercise a prerequisite of their skill (default 0.1).
    n_learners, seed : int
        Population size (default 100) and the seed of every random draw (default 0).
    ability_mean, ability_sd : float
        Cohort ability ``theta ~ N(ability_mean, ability_sd)`` (defaults 0, 1).
    difficulty_mean, difficulty_sd, depth_difficulty : float
        Item difficulty ``b ~ N(difficulty_mean + depth_difficulty * centred layer,
        difficulty_sd)`` (defaults -1.5, 0.8, 0.3).
    discrimination_sd : float
        Log-normal spread of discrimination ``a`` around 1 (default 0.3).
    guess_max, slip_max : float
        Per-item guess ~ U(0, guess_max) (default 0.25) and slip ~ U(0, slip_max) (default 0.1).
    knowledge_weight : float
        Logits added per unit of skill knowledge (default 4).
    init_knowledge_bias, init_ability_weight, init_depth_penalty, init_knowledge_sd : float
        Initial knowledge ``sigmoid(bias + weight * theta - penalty * layer + N(0, sd))``
        (defaults -0.5, 0.8, 1.0, 0.5).
    learn_rate, learn_rate_sd : float
        Median per-skill learning rate (default 0.15) and its log-normal spread (default 0.3).
    ability_learning_weight : float
        Learning speed multiplier ``exp(weight * theta)`` (default 0.2).
    wrong_answer_learning : float
        Share of the gain a wrong answer (with feedback) still yields (default 0.5).
    mastery_threshold : float
        Knowledge at which a prerequisite counts as mastered (default 0.7).
    prereq_gate_floor : float
        Share of the gain left when prerequisites are far from mastered (default 0.1).
    zpd_strength, zpd_target, zpd_width : float
        Learning multiplier ``1 - s + s * exp(-((p - target) / width)^2 / 2)`` of an attempt
        with success probability ``p`` (defaults 0.4, 0.7, 0.25).
    forgetting_half_life_days, retention_floor : float
        Knowledge decays toward ``retention_floor * k`` with this half-life (defaults 30, 0.5).
    start : datetime
        Simulated time origin (default 2024-01-01 UTC; naive times are UTC).
    enrollment_days : float
        Learners join uniformly within this many days after ``start`` (default 14).
    session_length_mean, session_gap_hours, duration_median_s : float
        Mean answers per session (10), median gap between sessions (30 h) and median time on
        an item (40 s) in generated streams.
    """

    n_skills: int = 20
    n_layers: int = 4
    edge_density: float = 0.3
    skip_edge_density: float = 0.05
    n_items: int = 200
    two_skill_fraction: float = 0.1
    n_learners: int = 100
    seed: int = 0
    ability_mean: float = 0.0
    ability_sd: float = 1.0
    difficulty_mean: float = -1.5
    difficulty_sd: float = 0.8
    depth_difficulty: float = 0.3
    discrimination_sd: float = 0.3
    guess_max: float = 0.25
    slip_max: float = 0.1
    knowledge_weight: float = 4.0
    init_knowledge_bias: float = -0.5
    init_ability_weight: float = 0.8
    init_depth_penalty: float = 1.0
    init_knowledge_sd: float = 0.5
    learn_rate: float = 0.15
    learn_rate_sd: float = 0.3
    ability_learning_weight: float = 0.2
    wrong_answer_learning: float = 0.5
    mastery_threshold: float = 0.7
    prereq_gate_floor: float = 0.1
    zpd_strength: float = 0.4
    zpd_target: float = 0.7
    zpd_width: float = 0.25
    forgetting_half_life_days: float = 30.0
    retention_floor: float = 0.5
    start: datetime = field(default_factory=lambda: datetime(2024, 1, 1, tzinfo=UTC))
    enrollment_days: float = 14.0
    session_length_mean: float = 10.0
    session_gap_hours: float = 30.0
    duration_median_s: float = 40.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _INT_RANGES:
                bounds = _INT_RANGES[f.name]
                if isinstance(value, bool) or not isinstance(value, int):
                    raise SimulatorConfigError(f.name, value, f"an integer {_describe(bounds)}")
            elif f.name in _FLOAT_RANGES:
                bounds = _FLOAT_RANGES[f.name]
                ok = isinstance(value, int | float) and not isinstance(value, bool)
                if not ok or not math.isfinite(value):
                    raise SimulatorConfigError(
                        f.name, value, f"a finite number {_describe(bounds)}"
                    )
            else:
                continue
            if not _inside(value, bounds):
                raise SimulatorConfigError(f.name, value, _describe(bounds))
        if not isinstance(self.start, datetime):
            raise SimulatorConfigError("start", self.start, "a datetime")
        if self.start.tzinfo is None:
            object.__setattr__(self, "start", self.start.replace(tzinfo=UTC))
        if self.n_layers > self.n_skills:
            raise SimulatorConfigError("n_layers", self.n_layers, f"<= n_skills ({self.n_skills})")
        if self.n_items < self.n_skills:
            raise SimulatorConfigError("n_items", self.n_items, f">= n_skills ({self.n_skills})")
