"""RES re-ranking: prerequisite filter, zone of proximal development, spaced review, diversity.

For each candidate item (from a recommender, or the whole catalog):

1. **Filter**: drop it if any prerequisite of any of its skills is unmastered, or if all its
   skills are mastered and none is due for review ("move on once mastered").
2. **Score**: with ``zpd = exp(-((p - target) / width)^2 / 2)`` (predicted success ``p`` near
   the target) and ``f = 1 - zpd_weight + zpd_weight * zpd``: an item that trains unmastered
   skills scores ``headroom_weight * f * sum(rate(s) * (1 - mastery(s)))`` over its skills
   (relative learn rates, 1 without them), times ``1 + unlock_weight * log(1 + n)`` when
   mastering it opens ``n`` dependent skills; a review item scores ``review_weight * f``.
   Then ``+ relevance_weight * relevance`` (the candidate's recommender score), times
   ``repeat_penalty ** attempts`` on items already answered.
3. **Diversify**: pick greedily, multiplying by ``diversity_decay`` per already picked item of
   the same primary skill.

Every returned item carries machine-readable reasons, e.g. ``{"code": "zpd", "p_correct":
0.68, "target": 0.7}``, ``{"code": "prerequisites_met", "skills": [...]}``, ``{"code":
"review", "skill": "fractions", "days_since": 9.5}``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from models.policy.catalog import Catalog, ContentItem
from models.policy.common import SkillPolicy
from models.policy.dag import PrerequisiteMap
from models.policy.mastery import LearnerState, MasteryEstimator

Reason = dict[str, Any]


@dataclass(frozen=True)
class RankedItem:
    """A recommended item, its final score and why it was chosen."""

    item_id: str
    score: float
    skills: tuple[str, ...]
    reasons: list[Reason] = field(default_factory=list)


class ZPDReranker(SkillPolicy):
    """Prerequisite-aware ZPD re-ranker (see the module docstring for the formula).

    Parameters
    ----------
    prerequisites : PrerequisiteMap or mapping of str to sequence of str
    catalog : Catalog
    estimator : MasteryEstimator
        Gives P(correct) of an item for a learner state and prior mastery.
    mastery_threshold : float or mapping of str to float
        Mastery at which a skill counts as mastered (default 0.85; per skill if a mapping,
        falling back to ``default_threshold``).
    target, width : float
        ZPD band centre and width on predicted success (defaults 0.7, 0.15).
    review_after_days : float
        A mastered skill not practised for this long is due for review (default 7).
    """

    def __init__(
        self,
        prerequisites: PrerequisiteMap | Mapping[str, Sequence[str]],
        catalog: Catalog,
        estimator: MasteryEstimator,
        *,
        mastery_threshold: float | Mapping[str, float] = 0.85,
        default_threshold: float = 0.85,
        target: float = 0.7,
        width: float = 0.15,
        review_after_days: float = 7.0,
        zpd_weight: float = 1.0,
        headroom_weight: float = 1.0,
        unlock_weight: float = 0.2,
        relevance_weight: float = 0.5,
        review_weight: float = 0.3,
        repeat_penalty: float = 0.7,
        diversity_decay: float = 0.5,
        learn_rates: Mapping[str, float] | None = None,
        min_attempts: int = 0,
        enough_attempts: int = 0,
        enough_correct: int = 0,
        count_ability_scaling: float = 0.0,
    ) -> None:
        super().__init__(
            prerequisites,
            catalog,
            estimator,
            mastery_threshold=mastery_threshold,
            default_threshold=default_threshold,
            min_attempts=min_attempts,
            enough_attempts=enough_attempts,
            enough_correct=enough_correct,
            count_ability_scaling=count_ability_scaling,
        )
        self.target = target
        self.width = width
        self.review_after_days = review_after_days
        self.zpd_weight = zpd_weight
        self.headroom_weight = headroom_weight
        self.unlock_weight = unlock_weight
        self.relevance_weight = relevance_weight
        self.review_weight = review_weight
        self.repeat_penalty = repeat_penalty
        self.diversity_decay = diversity_decay
        self.learn_rates = dict(learn_rates or {})
        rates = list(self.learn_rates.values())
        self._mean_rate = sum(rates) / len(rates) if rates else 1.0

    # ------------------------------------------------------------------ filtering
    def blocked_by(
        self,
        state: LearnerState,
        item: ContentItem,
        mastered: Callable[[str], bool] | None = None,
    ) -> list[str]:
        """Unmastered prerequisites of the item's skills (empty: the item is allowed)."""
        memo = mastered if isinstance(mastered, _RankingMemo) else self._mastered(state, mastered)
        blocked: list[str] = []
        for skill in item.skills:
            blocked.extend(p for p in memo.unmet(skill) if p not in blocked)
        return blocked

    def _mastered(
        self, state: LearnerState, mastered: Callable[[str], bool] | None = None
    ) -> _RankingMemo:
        """Memoised mastery checks for one state (a ranking asks about a skill many times)."""
        return _RankingMemo(
            self.prerequisites, mastered or (lambda skill: self.is_mastered(state, skill))
        )

    # ------------------------------------------------------------------ ranking
    def rank(
        self,
        state: LearnerState,
        candidates: Sequence[str] | Mapping[str, float] | None = None,
        k: int = 10,
    ) -> list[RankedItem]:
        """Top ``k`` allowed items for the learner, best first, each with its reasons.

        ``candidates``: item ids in recommender order, or ``{item_id: score}``; default the
        whole catalog. Ids missing from the catalog are skipped (their skills are unknown, so
        their prerequisites cannot be checked).
        """
        popular = candidates is None and state.is_cold_start
        if popular:  # cold start without a recommender: lean on what other learners use
            candidates = {i.id: i.popularity for i in self.catalog if i.popularity > 0} or None
        relevance = _relevance(candidates, self.catalog)
        if popular and candidates is not None:
            relevance = {i: relevance.get(i, 0.0) for i in self.catalog.items}
        scored: list[tuple[float, ContentItem, list[Reason]]] = []
        mastered = self._mastered(state)
        for item_id, rel in relevance.items():
            found = self._score(state, self.catalog.items[item_id], rel, mastered, popular)
            if found is not None:
                scored.append((found[0], self.catalog.items[item_id], found[1]))
        return self._diversify(scored, k)

    def why_not(self, state: LearnerState, item_id: str) -> Reason | None:
        """Why ``item_id`` would be filtered out (``None`` if it is allowed)."""
        item = self.catalog[item_id]
        blocked = self.blocked_by(state, item)
        if blocked:
            return {"code": "prerequisites_unmastered", "skills": blocked}
        if all(self.is_mastered(state, s) for s in item.skills) and not self._due(state, item):
            return {"code": "already_mastered", "skills": list(item.skills)}
        return None

    def _due(self, state: LearnerState, item: ContentItem) -> list[tuple[str, float]]:
        due = []
        for skill in item.skills:
            last = state.last_practiced.get(skill)
            if last is not None and state.now - last >= self.review_after_days:
                due.append((skill, state.now - last))
        return due

    def _score(
        self,
        state: LearnerState,
        item: ContentItem,
        relevance: float,
        mastered: _RankingMemo,
        popular: bool = False,
    ) -> tuple[float, list[Reason]] | None:
        if any(mastered.unmet(skill) for skill in item.skills):
            return None
        unmastered = [s for s in item.skills if not mastered(s)]
        due = [] if unmastered else self._due(state, item)
        if not unmastered and not due:
            return None
        reasons: list[Reason] = []
        if state.is_cold_start:
            reasons.append({"code": "cold_start"})
        prereqs = sorted({p for s in item.skills for p in self.prerequisites.parents.get(s, ())})
        if prereqs:
            reasons.append({"code": "prerequisites_met", "skills": prereqs})
        p = self.estimator.p_correct(state, item)
        zpd = math.exp(-0.5 * ((p - self.target) / self.width) ** 2)
        reasons.append({"code": "zpd", "p_correct": round(p, 4), "target": self.target})
        if unmastered:
            # expected learning: rate-weighted headroom of every skill the item trains (a
            # mastered prerequisite practised alongside still gains), the ZPD as a multiplier
            headroom = sum(self._rate(s) * (1.0 - self.mastery(state, s)) for s in item.skills)
            score = (
                self.headroom_weight * headroom * (1.0 - self.zpd_weight + self.zpd_weight * zpd)
            )
            for skill in unmastered:
                reasons.append(
                    {
                        "code": "new_skill",
                        "skill": skill,
                        "mastery": round(self.mastery(state, skill), 4),
                    }
                )
            opens = max(mastered.unlocks(s) for s in unmastered)
            if opens:
                score *= 1.0 + self.unlock_weight * math.log1p(opens)
                reasons.append({"code": "unlocks", "skill": unmastered[0], "dependents": opens})
        else:
            skill, days = max(due, key=lambda d: d[1])
            score = self.review_weight * (1.0 - self.zpd_weight + self.zpd_weight * zpd)
            reasons.append({"code": "review", "skill": skill, "days_since": round(days, 2)})
        if relevance > 0:
            score += self.relevance_weight * relevance
            code = "popular" if popular else "relevance"
            reasons.append({"code": code, "score": round(relevance, 4)})
        times = state.seen.get(item.id, 0)
        if times:
            score *= self.repeat_penalty**times
            reasons.append({"code": "repeat", "times": times})
        return score, reasons

    def _rate(self, skill: str) -> float:
        """Relative learning rate of ``skill`` (1 without ``learn_rates``)."""
        if not self.learn_rates:
            return 1.0
        return self.learn_rates.get(skill, self._mean_rate) / self._mean_rate

    def _diversify(
        self, scored: list[tuple[float, ContentItem, list[Reason]]], k: int
    ) -> list[RankedItem]:
        picked: list[RankedItem] = []
        per_skill: dict[str, int] = {}
        remaining = sorted(scored, key=lambda x: (-x[0], x[1].id))
        while remaining and len(picked) < k:
            best_index, best_value = 0, -math.inf
            for index, (score, item, _) in enumerate(remaining):
                value = score * self.diversity_decay ** per_skill.get(item.skills[0], 0)
                if value > best_value:
                    best_index, best_value = index, value
                if score <= best_value:  # sorted by score: nothing later can win
                    break
            score, item, reasons = remaining.pop(best_index)
            count = per_skill.get(item.skills[0], 0)
            if count:
                reasons = [
                    *reasons,
                    {
                        "code": "diversity",
                        "skill": item.skills[0],
                        "penalty": round(self.diversity_decay**count, 4),
                    },
                ]
            per_skill[item.skills[0]] = count + 1
            picked.append(RankedItem(item.id, round(best_value, 6), item.skills, reasons))
        return picked


class _RankingMemo:
    """Mastery, unmet prerequisites and unlock counts per skill, computed once per ranking."""

    def __init__(self, prerequisites: PrerequisiteMap, is_mastered: Callable[[str], bool]) -> None:
        self.prerequisites = prerequisites
        self.is_mastered = is_mastered
        self._mastered: dict[str, bool] = {}
        self._unmet: dict[str, list[str]] = {}
        self._unlocks: dict[str, int] = {}

    def __call__(self, skill: str) -> bool:
        if skill not in self._mastered:
            self._mastered[skill] = self.is_mastered(skill)
        return self._mastered[skill]

    def unmet(self, skill: str) -> list[str]:
        """Unmastered direct prerequisites of ``skill``."""
        if skill not in self._unmet:
            self._unmet[skill] = self.prerequisites.unmet(skill, self)
        return self._unmet[skill]

    def unlocks(self, skill: str) -> int:
        """Dependents whose only unmastered prerequisite is ``skill``."""
        if skill not in self._unlocks:
            self._unlocks[skill] = sum(
                1
                for child in self.prerequisites.children.get(skill, ())
                if not self(child) and self.unmet(child) == [skill]
            )
        return self._unlocks[skill]


def _relevance(
    candidates: Sequence[str] | Mapping[str, float] | None, catalog: Catalog
) -> dict[str, float]:
    """Candidate relevance in [0, 1] (catalog order and 0 when there are no candidates)."""
    if candidates is None:
        return dict.fromkeys(catalog.items, 0.0)
    if isinstance(candidates, Mapping):
        known = {i: float(s) for i, s in candidates.items() if i in catalog.items}
        if not known:
            return {}
        low, high = min(known.values()), max(known.values())
        span = high - low
        return {i: (s - low) / span if span > 0 else 1.0 for i, s in known.items()}
    ids = [i for i in dict.fromkeys(candidates) if i in catalog.items]
    return {i: 1.0 - r / max(len(ids), 1) for r, i in enumerate(ids)}
