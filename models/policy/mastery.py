"""Learner state for the policies and the adapter that keeps it current with a KT model.

The policies only need :class:`MasteryEstimator`: per-skill mastery and P(correct) of an item.
:class:`KTMasteryTracker` provides it on top of any ``models.kt`` model (BKT, PFA, DKT...),
mapping string skill/item ids to the model's integer ids and, optionally, adding per-item
difficulty offsets learned from logs (``logit P = logit P_skill + offset``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

from models.kt.base import KTEvent, KTState
from models.policy.catalog import ContentItem


@dataclass(frozen=True)
class LearnerState:
    """What a policy knows about a learner at decision time.

    Attributes
    ----------
    mastery : dict of str to float
        Estimated mastery in [0, 1] per skill (missing skills: use the estimator's prior).
    last_practiced : dict of str to float
        Time of the last practice per skill, in days on any fixed clock.
    seen : dict of str to int
        Attempts per item id.
    seen_correct : dict of str to int
        Correct answers per item id.
    now : float
        Current time in days on the same clock.
    model_state : Any
        The KT model's own state (opaque to the policies).
    answers, correct, expected : int, int, float
        Answers so far, how many were correct and the sum of their predicted P(correct)
        (a learner answering above prediction gets a positive ability offset).
    """

    mastery: dict[str, float] = field(default_factory=dict)
    last_practiced: dict[str, float] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)
    seen_correct: dict[str, int] = field(default_factory=dict)
    now: float = 0.0
    model_state: Any = None
    answers: int = 0
    correct: int = 0
    expected: float = 0.0

    @property
    def is_cold_start(self) -> bool:
        """No attempt observed yet."""
        return not self.seen


class MasteryEstimator(Protocol):
    """What the policies ask a learner model."""

    def p_correct(self, state: LearnerState, item: ContentItem) -> float:
        """Predicted probability that the learner answers ``item`` correctly now."""
        ...

    def prior_mastery(self, skill: str) -> float:
        """Mastery of a skill the learner has not practised."""
        ...


@runtime_checkable
class AbilityAware(Protocol):
    """An estimator that also rates the learner against its own predictions."""

    def ability_offset(self, state: LearnerState) -> float:
        """Logit offset of the learner's answers over the predicted ones (0: as predicted)."""
        ...


class PriorEstimator:
    """Estimator without a learner model: item priors and one prior mastery for every skill.

    Use it before a KT model is trained; ``p_correct`` is the item's population success rate
    (``default_p`` when unknown).
    """

    def __init__(self, *, default_p: float = 0.7, prior: float = 0.0) -> None:
        self.default_p = default_p
        self.prior = prior

    def p_correct(self, state: LearnerState, item: ContentItem) -> float:
        return item.p_correct_prior if item.p_correct_prior is not None else self.default_p

    def prior_mastery(self, skill: str) -> float:
        return self.prior


class KTModelLike(Protocol):
    """The online part of ``models.kt.base.KTModel``."""

    def init_state(self) -> KTState: ...

    def update(self, state: KTState, event: KTEvent) -> KTState: ...

    def predict_next(
        self, state: KTState, skills: Sequence[int], problem: int | None = None
    ) -> float: ...

    def mastery(self, state: KTState, skills: Sequence[int] | None = None) -> dict[int, float]: ...

    def state_from_dict(self, data: Mapping[str, Any]) -> KTState: ...


class KTMasteryTracker:
    """Keeps :class:`LearnerState` current with a fitted KT model.

    Parameters
    ----------
    model : KTModelLike
        A fitted ``models.kt`` model.
    skill_ids : mapping of str to int
        Skill id → the model's integer skill id (>= 1).
    item_offsets : mapping of str to float, optional
        Logit offset per item id (harder items negative); default 0.
    problem_ids : mapping of str to int, optional
        Item id → the model's problem id, for models with problem effects.
    ability_prior : float
        Pseudo-answers shrinking the learner's ability offset
        ``logit(observed rate) - logit(predicted rate)`` toward 0; ``0`` disables it.
    """

    def __init__(
        self,
        model: KTModelLike,
        skill_ids: Mapping[str, int],
        *,
        item_offsets: Mapping[str, float] | None = None,
        problem_ids: Mapping[str, int] | None = None,
        ability_prior: float = 0.0,
    ) -> None:
        self.model = model
        self.ability_prior = ability_prior
        self.skill_ids = dict(skill_ids)
        self.item_offsets = dict(item_offsets or {})
        self.problem_ids = dict(problem_ids or {})
        self._skill_names = {v: k for k, v in self.skill_ids.items()}
        self._prior = self._mastery(model.init_state())

    def state_to_dict(self, state: LearnerState) -> dict[str, Any]:
        """JSON-compatible form of a state (store it per learner between requests)."""
        data = asdict(replace(state, model_state=None))
        data["model_state"] = state.model_state.to_dict() if state.model_state is not None else None
        return data

    def state_from_dict(self, data: Mapping[str, Any]) -> LearnerState:
        """Inverse of :meth:`state_to_dict`."""
        fields = dict(data)
        raw = fields.pop("model_state", None)
        model_state = (
            self.model.state_from_dict(raw) if raw is not None else self.model.init_state()
        )
        return LearnerState(**fields, model_state=model_state)

    def new_state(self, now: float = 0.0) -> LearnerState:
        """State of a learner with no history (cold start: the model's prior)."""
        state = self.model.init_state()
        return LearnerState(mastery=self._mastery(state), now=now, model_state=state)

    def observe(
        self, state: LearnerState, item: ContentItem, correct: bool, at: float | None = None
    ) -> LearnerState:
        """State after the learner answered ``item``; ``at`` in days (default: ``state.now``)."""
        when = state.now if at is None else at
        predicted = self.p_correct(state, item)
        skills = tuple(self.skill_ids[s] for s in item.skills if s in self.skill_ids)
        model_state = state.model_state
        if skills:
            event = KTEvent(skills, bool(correct), self.problem_ids.get(item.id))
            model_state = self.model.update(model_state, event)
        practiced = dict(state.last_practiced)
        practiced.update(dict.fromkeys(item.skills, when))
        seen = dict(state.seen)
        seen[item.id] = seen.get(item.id, 0) + 1
        seen_correct = dict(state.seen_correct)
        if correct:
            seen_correct[item.id] = seen_correct.get(item.id, 0) + 1
        return replace(
            state,
            mastery=self._mastery(model_state),
            last_practiced=practiced,
            seen=seen,
            seen_correct=seen_correct,
            now=when,
            model_state=model_state,
            answers=state.answers + 1,
            correct=state.correct + int(bool(correct)),
            expected=state.expected + predicted,
        )

    def p_correct(self, state: LearnerState, item: ContentItem) -> float:
        skills = [self.skill_ids[s] for s in item.skills if s in self.skill_ids]
        if not skills:
            return item.p_correct_prior if item.p_correct_prior is not None else 0.5
        p = self.model.predict_next(state.model_state, skills, self.problem_ids.get(item.id))
        offset = self.item_offsets.get(item.id, 0.0) + self.ability_offset(state)
        if offset:
            p = min(max(p, 1e-6), 1 - 1e-6)
            p = 1.0 / (1.0 + math.exp(-(math.log(p / (1.0 - p)) + offset)))
        return float(p)

    def prior_mastery(self, skill: str) -> float:
        return self._prior.get(skill, 0.0)

    def ability_offset(self, state: LearnerState) -> float:
        """Logit offset of the learner's answers over the model's predictions (0 if disabled)."""
        if self.ability_prior <= 0 or not state.answers:
            return 0.0
        k = self.ability_prior
        mean = state.expected / state.answers
        observed = (state.correct + k * mean) / (state.answers + k)
        predicted = (state.expected + k * mean) / (state.answers + k)
        observed = min(max(observed, 1e-4), 1 - 1e-4)
        predicted = min(max(predicted, 1e-4), 1 - 1e-4)
        return math.log(observed / (1 - observed)) - math.log(predicted / (1 - predicted))

    def _mastery(self, model_state: KTState) -> dict[str, float]:
        values = self.model.mastery(model_state, list(self._skill_names))
        return {self._skill_names[k]: float(v) for k, v in values.items()}


def item_offsets_from_log(
    attempts: Sequence[tuple[str, str, bool]], *, shrinkage: float = 5.0
) -> dict[str, float]:
    """Per-item logit offsets from ``(item_id, primary_skill, correct)`` attempts.

    ``offset = logit(item rate) - logit(skill rate)``, with the item rate shrunk toward its
    skill's rate by ``shrinkage`` pseudo-attempts.
    """
    item_n: dict[str, int] = {}
    item_k: dict[str, float] = {}
    skill_n: dict[str, int] = {}
    skill_k: dict[str, float] = {}
    skill_of: dict[str, str] = {}
    for item, skill, correct in attempts:
        item_n[item] = item_n.get(item, 0) + 1
        item_k[item] = item_k.get(item, 0.0) + float(correct)
        skill_n[skill] = skill_n.get(skill, 0) + 1
        skill_k[skill] = skill_k.get(skill, 0.0) + float(correct)
        skill_of[item] = skill
    offsets = {}
    for item, n in item_n.items():
        skill = skill_of[item]
        base = (skill_k[skill] + 1.0) / (skill_n[skill] + 2.0)
        rate = (item_k[item] + shrinkage * base) / (n + shrinkage)
        offsets[item] = math.log(rate / (1 - rate)) - math.log(base / (1 - base))
    return offsets
