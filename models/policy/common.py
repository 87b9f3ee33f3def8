"""What the re-ranker and the planner share: the graph, content, estimator and mastery rules."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import cast

from models.policy.catalog import Catalog
from models.policy.dag import PrerequisiteMap
from models.policy.errors import PolicyError
from models.policy.mastery import AbilityAware, LearnerState, MasteryEstimator

# Largest ability offset (logits) the answer-count rules react to.
ABILITY_CLIP = 2.0


def check_thresholds(
    mastery_threshold: float | Mapping[str, float], default_threshold: float
) -> None:
    """Mastery thresholds are probabilities in [0, 1]; the error names the offending skill."""
    values = dict(mastery_threshold) if isinstance(mastery_threshold, Mapping) else {}
    checks = [("mastery_threshold", mastery_threshold)] if not values else []
    checks += [(f"mastery_threshold[{s!r}]", v) for s, v in values.items()]
    checks.append(("default_threshold", default_threshold))
    for name, value in checks:
        if not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
            raise PolicyError(f"{name} must be a number in [0, 1], got {value!r}")


def per_skill(value: float | Mapping[str, float], skill: str, default: float) -> float:
    """``value[skill]`` (``default`` if missing) for a mapping, else ``value`` itself."""
    return float(value.get(skill, default)) if isinstance(value, Mapping) else float(value)


class SkillPolicy:
    """Base of the policies: prerequisites, catalog, learner model and mastery thresholds.

    Parameters
    ----------
    prerequisites : PrerequisiteMap or mapping of str to sequence of str
    catalog : Catalog
    estimator : MasteryEstimator
    mastery_threshold : float or mapping of str to float
        Mastery at which a skill counts as mastered (per skill if a mapping, falling back to
        ``default_threshold``).
    min_attempts : int
        Answers on a skill's items needed, besides the mastery estimate, before the skill
        counts as mastered (default 0: the estimate alone). A guard against a learner model
        that declares mastery after a few lucky answers.
    enough_attempts : int
        Answers after which a skill counts as mastered whatever the estimate (default 0: never);
        a guard against an estimate that lags behind practice (e.g. wrong answers on hard items
        pulling BKT's P(learned) down) and keeps a learner on one skill.
    enough_correct : int
        Correct answers after which a skill counts as mastered whatever the estimate
        (default 0: never).
    count_ability_scaling : float
        Scales ``enough_attempts`` and ``enough_correct`` per learner by
        ``exp(-count_ability_scaling * a)``, where ``a`` is the learner's ability offset from
        an :class:`~models.policy.mastery.AbilityAware` estimator (clipped to ±2 logits): a
        learner who answers below the model's predictions needs more answers before a count
        rule declares mastery, one above them fewer. Default 0: the same counts for everyone.
    """

    def __init__(
        self,
        prerequisites: PrerequisiteMap | Mapping[str, Sequence[str]],
        catalog: Catalog,
        estimator: MasteryEstimator,
        *,
        mastery_threshold: float | Mapping[str, float] = 0.85,
        default_threshold: float = 0.85,
        min_attempts: int = 0,
        enough_attempts: int = 0,
        enough_correct: int = 0,
        count_ability_scaling: float = 0.0,
    ) -> None:
        check_thresholds(mastery_threshold, default_threshold)
        self.prerequisites = (
            prerequisites
            if isinstance(prerequisites, PrerequisiteMap)
            else PrerequisiteMap(prerequisites)
        )
        self.catalog = catalog
        self.estimator = estimator
        self.mastery_threshold = mastery_threshold
        self.default_threshold = default_threshold
        # threshold() runs for every skill of a plan: decide mapping-or-number once, here
        self._thresholds: Mapping[str, float] | None = (
            mastery_threshold if isinstance(mastery_threshold, Mapping) else None
        )
        self.min_attempts = min_attempts
        self.enough_attempts = enough_attempts
        self.enough_correct = enough_correct
        self.count_ability_scaling = count_ability_scaling

    def threshold(self, skill: str) -> float:
        """Mastery threshold of ``skill``."""
        if self._thresholds is None:
            return float(cast(float, self.mastery_threshold))
        return float(self._thresholds.get(skill, self.default_threshold))

    def mastery(self, state: LearnerState, skill: str) -> float:
        """The learner's mastery of ``skill`` (the estimator's prior if unseen)."""
        value = state.mastery.get(skill)
        return self.estimator.prior_mastery(skill) if value is None else value

    def is_mastered(self, state: LearnerState, skill: str) -> bool:
        """Whether ``skill`` is mastered in ``state``."""
        scale = self.count_scale(state)
        enough = (self.enough_attempts, False), (self.enough_correct, True)
        for n, correct in enough:
            if n > 0 and self.attempts(state, skill, correct=correct) >= max(1, round(n * scale)):
                return True
        if self.mastery(state, skill) < self.threshold(skill):
            return False
        return self.min_attempts <= 0 or self.attempts(state, skill) >= self.min_attempts

    def count_scale(self, state: LearnerState) -> float:
        """Factor on the answer-count rules for this learner (1 without ability scaling)."""
        if not self.count_ability_scaling or not isinstance(self.estimator, AbilityAware):
            return 1.0
        offset = min(max(self.estimator.ability_offset(state), -ABILITY_CLIP), ABILITY_CLIP)
        return math.exp(-self.count_ability_scaling * offset)

    def attempts(self, state: LearnerState, skill: str, *, correct: bool = False) -> int:
        """Answers (``correct``: correct answers) the learner gave on ``skill``'s items."""
        counts = state.seen_correct if correct else state.seen
        return sum(counts.get(item.id, 0) for item in self.catalog.by_skill.get(skill, ()))
