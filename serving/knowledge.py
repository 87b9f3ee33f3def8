"""Per-skill learner-model parameters for serving, from the KT champion where it knows a skill.

Online, a learner's state arrives as per-skill mastery from the feature store (written by the
progress service's KT model). Predicting success on an item needs the skill's slip and guess
rates (BKT: ``P(correct) = m (1 - slip) + (1 - m) guess``, averaged over the item's skills) and a
prior for skills never practised. :func:`skill_model` takes them from the registered KT champion
for the skills its vocabulary knows (prior mastery from any model's ``mastery`` of a fresh state;
slip/guess from a BKT champion's fitted parameters) and from the content pack's BKT parameters
for every other skill, and :class:`ArrayEstimator` serves them to the ``models.policy`` policies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from models.policy import ContentItem, LearnerState
from serving.content import ContentIndex, FloatArray


@dataclass(frozen=True)
class SkillModel:
    """Prior, guess and slip per skill of a :class:`ContentIndex`, and where they came from."""

    prior: FloatArray
    guess: FloatArray
    slip: FloatArray
    threshold: FloatArray
    from_champion: npt.NDArray[np.bool_]

    def p_correct_skills(self, mastery: FloatArray) -> FloatArray:
        """P(correct) of a one-skill item per skill at ``mastery`` (aligned arrays)."""
        return mastery * (1.0 - self.slip) + (1.0 - mastery) * self.guess


def skill_model(index: ContentIndex, kt: Any | None) -> SkillModel:
    """Parameters for ``index``'s skills: ``kt`` (a ``LoadedKT``) where it knows a skill."""
    table = index.table
    prior, guess, slip = table.prior.copy(), table.guess.copy(), table.slip.copy()
    known = np.zeros(index.n_skills, dtype=bool)
    if kt is not None:
        ids = kt.vocab.skill_ids(index.skills)
        known = ids > 0
        if known.any():
            model = kt.model
            fresh = model.mastery(model.init_state(), [int(i) for i in ids[known]])
            prior[known] = [fresh[int(i)] for i in ids[known]]
            params = getattr(model, "params_", None)
            if getattr(model, "name", "") == "bkt" and isinstance(params, Mapping):
                guess[known] = np.asarray(params["guess"])[ids[known]]
                slip[known] = np.asarray(params["slip"])[ids[known]]
    clip = (1e-4, 1 - 1e-4)
    return SkillModel(
        prior=np.clip(prior, *clip),
        guess=np.clip(guess, *clip),
        slip=np.clip(slip, *clip),
        threshold=table.threshold,
        from_champion=known,
    )


class ArrayEstimator:
    """``models.policy.MasteryEstimator`` over a :class:`SkillModel` (unknown skills: 0.5)."""

    def __init__(self, index: ContentIndex, model: SkillModel) -> None:
        self.index = index
        self.model = model

    def p_correct(self, state: LearnerState, item: ContentItem) -> float:
        total, count = 0.0, 0
        for skill in item.skills:
            pos = self.index.skill_pos.get(skill)
            if pos is None:
                continue
            m = state.mastery.get(skill, self.model.prior[pos])
            total += m * (1.0 - self.model.slip[pos]) + (1.0 - m) * self.model.guess[pos]
            count += 1
        return float(total / count) if count else 0.5

    def prior_mastery(self, skill: str) -> float:
        pos = self.index.skill_pos.get(skill)
        return float(self.model.prior[pos]) if pos is not None else 0.0

    def thresholds(self) -> dict[str, float]:
        """Mastery threshold per skill (for the policies' ``mastery_threshold``)."""
        return dict(zip(self.index.skills, self.model.threshold.tolist(), strict=True))
