"""The RES decision for one request, as a few vectorised numpy operations plus a short re-rank.

1. **Shortlist** (whole catalog, arrays): mastery vector = priors with the learner's observed
   mastery filled in; an item is *eligible* when it is in scope (course, content types, skills),
   none of its prerequisite skills is unmastered (sparse item × prerequisite matvec) and one of
   its own skills is still unmastered; eligible items are scored with the re-ranker's formula
   (ZPD on the predicted success × headroom) plus the recommender's relevance, and the best
   ``candidates`` are kept.
2. **Re-rank** the shortlist with :class:`models.policy.ZPDReranker` (unlocks, spaced review,
   repeats, diversity, machine-readable reasons), so answers carry the policy's reasons and
   never contain an item whose prerequisites are unmastered.

An :class:`Engine` is immutable and built once per served model version (hot reload swaps it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from models.policy import LearnerState, ZPDReranker
from serving.content import CONTENT_TYPES, ContentIndex, FloatArray, IntArray, Part
from serving.knowledge import ArrayEstimator, SkillModel, skill_model

DAY = 86_400.0
TARGET, WIDTH, RELEVANCE_WEIGHT = 0.7, 0.15, 0.5


@dataclass(frozen=True)
class ModelRef:
    """A served model: registry name and version (``content-pack`` for built-in defaults)."""

    name: str
    version: str


@dataclass(frozen=True)
class Query:
    """A validated recommendation request."""

    learner_id: str
    k: int = 10
    course_id: str | None = None
    content_types: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    exclude_seen: bool = True


@dataclass(frozen=True)
class LearnerView:
    """What the online store knows about a learner (empty for an unknown learner)."""

    mastery: dict[str, float] = field(default_factory=dict)
    practiced_at: dict[str, float] = field(default_factory=dict)  # skill -> unix seconds
    activity: dict[str, Any] | None = None
    behind: frozenset[str] = frozenset()  # not read, before the frontier: not recommended

    @property
    def is_cold(self) -> bool:
        """Nothing known: no mastery observed, no graded attempt."""
        return not self.mastery and not (self.activity or {}).get("attempt_count")


@dataclass(frozen=True)
class Ranked:
    """One recommended item."""

    item_id: str
    score: float
    p_correct: float
    skills: tuple[str, ...]
    reasons: list[dict[str, Any]]


class Engine:
    """Recommendations and scores over one content index with one pair of models."""

    def __init__(
        self,
        index: ContentIndex,
        *,
        kt: Any | None = None,
        rec: Any | None = None,
        kt_ref: ModelRef | None = None,
        rec_ref: ModelRef | None = None,
        candidates: int = 80,
    ) -> None:
        self.index = index
        self.kt_ref = kt_ref or ModelRef("content-pack-bkt", "builtin")
        self.rec_ref = rec_ref
        self.candidates = candidates
        self.skills: SkillModel = skill_model(index, kt)
        self.estimator = ArrayEstimator(index, self.skills)
        self.reranker = ZPDReranker(
            index.prerequisites,
            index.catalog,
            self.estimator,
            mastery_threshold=self.estimator.thresholds(),
            target=TARGET,
            width=WIDTH,
            relevance_weight=RELEVANCE_WEIGHT,
        )
        self.rec = rec
        self._course_orders: dict[str, tuple[str, ...]] = {}
        self._rec_cols = np.full(index.n_items, -1, dtype=np.int64)
        self._base_relevance = np.zeros(index.n_items)
        if rec is not None:
            position = {item: i for i, item in enumerate(rec.vocabulary_.items)}
            self._rec_cols = np.array([position.get(i, -1) for i in index.item_ids], dtype=np.int64)
        self._rec_known = self._rec_cols >= 0  # catalog items the recommender scores
        self._rec_known_cols = self._rec_cols[self._rec_known]
        self._rec_overlap = int(self._rec_known.sum())
        if rec is not None and self._rec_overlap:
            self._base_relevance = self._relevance(rec.score([[]])[0])

    @property
    def rec_overlap(self) -> int:
        """How many catalog items the recommender knows."""
        return self._rec_overlap

    # ------------------------------------------------------------------ which skills to read
    def anchor_skills(self, query: Query) -> list[str]:
        """Skills around the request: its skill filter, the history's skills, their
        prerequisites and dependents (nearest first)."""
        index, prereq = self.index, self.index.prerequisites
        seeds = [s for s in query.skills if s in index.skill_pos]
        for item in reversed(query.history):
            pos = index.item_pos.get(item)
            if pos is not None:
                seeds.extend(index.skills[int(s)] for s in index.skills_of(pos))
        ordered = dict.fromkeys(seeds)
        for skill in list(ordered):
            ordered.update(dict.fromkeys(prereq.parents.get(skill, ())))
            ordered.update(dict.fromkeys(prereq.children.get(skill, ())))
        return list(ordered)

    def curriculum(self, query: Query) -> list[str]:
        """Skills of the request's course (else of the history's courses), in course order."""
        index = self.index
        courses = [query.course_id] if query.course_id else []
        if not courses:
            found = [
                index.item_course[index.item_pos[i]] for i in query.history if i in index.item_pos
            ]
            courses = [index.course_ids[c] for c in dict.fromkeys(found) if c >= 0]
        if len(courses) == 1:
            return list(self._course_order(courses[0]))
        order: dict[str, None] = {}
        for course in courses:
            order.update(dict.fromkeys(self._course_order(course)))
        return list(order)

    def _course_order(self, course: str) -> tuple[str, ...]:
        """A course's skills in course order (built once per course)."""
        order = self._course_orders.get(course)
        if order is None:
            skills = self.index.course_skills.get(course, ())
            order = tuple(dict.fromkeys(self.index.skills[int(s)] for s in skills))
            self._course_orders[course] = order
        return order

    def mastered(self, skill: str, learner: LearnerView) -> bool:
        """Whether ``skill`` counts as mastered for the learner."""
        pos = self.index.skill_pos[skill]
        value = learner.mastery.get(skill, self.skills.prior[pos])
        return bool(value >= self.skills.threshold[pos])

    # ------------------------------------------------------------------ ranking
    def mastery_vector(self, learner: LearnerView) -> FloatArray:
        """Priors with the learner's observed mastery filled in."""
        m = self.skills.prior.copy()
        for skill, value in learner.mastery.items():
            pos = self.index.skill_pos.get(skill)
            if pos is not None:
                m[pos] = value
        return m

    def filters(self, part: Part, query: Query) -> npt.NDArray[np.bool_]:
        """Rows of ``part`` matching the request's content-type and skill filters."""
        index = self.index
        mask = np.ones(part.rows.size, dtype=bool)
        if query.content_types:
            codes = [CONTENT_TYPES.index(k) for k in query.content_types if k in CONTENT_TYPES]
            mask &= np.isin(part.item_kind, codes)
        if query.skills:
            columns = [index.skill_pos[s] for s in query.skills if s in index.skill_pos]
            hits = part.item_skills[:, columns].sum(axis=1) if columns else np.zeros(mask.size)
            mask &= np.asarray(hits).ravel() > 0
        return mask

    def rank(self, query: Query, learner: LearnerView, now: float) -> list[Ranked]:
        """Top ``query.k`` items for the learner at unix time ``now``, best first."""
        index = self.index
        m = self.mastery_vector(learner)
        unmastered = (m < self.skills.threshold).astype(np.float64)
        seen = [index.item_pos[i] for i in query.history if i in index.item_pos]
        note: list[dict[str, Any]] = []
        inferred = None if query.course_id else self.history_course(query)
        part = index.part(query.course_id or inferred)
        reachable, eligible = self._candidates(part, query, unmastered, learner, seen)
        if inferred is not None and not eligible.any():  # nothing left in that course
            inferred, part = None, index.part(None)
            reachable, eligible = self._candidates(part, query, unmastered, learner, seen)
        if not reachable.any():  # nothing reachable in the filters: whole catalog
            part = index.part(None)
            reachable, eligible = self._candidates(
                part, query, unmastered, learner, seen, filtered=False
            )
            note = [{"code": "scope_widened", "reason": "no reachable item matches the filters"}]
        elif inferred is not None:
            note = [{"code": "course_from_history", "course_id": inferred}]
        if not eligible.any():
            allowed = np.zeros(index.n_items, dtype=bool)
            allowed[part.rows[reachable]] = True
            return self._keep_practising(allowed, m, seen, query.k)
        relevance = self._history_relevance(query.history)[part.rows]
        p = part.skill_mean @ self.skills.p_correct_skills(m)
        zpd = np.exp(-0.5 * ((p - TARGET) / WIDTH) ** 2)
        headroom = part.item_skills @ (1.0 - m)
        score = np.where(eligible, headroom * zpd + RELEVANCE_WEIGHT * relevance, -np.inf)
        shortlist = _top(score, max(self.candidates, query.k))
        state = LearnerState(
            mastery=dict(learner.mastery),
            last_practiced={s: t / DAY for s, t in learner.practiced_at.items()},
            seen=dict(Counter(index.item_ids[i] for i in seen)),
            now=now / DAY,
        )
        ids = {index.item_ids[part.rows[i]]: i for i in shortlist}
        if relevance.any():
            candidates: Any = {item: float(relevance[i]) for item, i in ids.items()}
        else:
            candidates = list(ids)
        ranked = self.reranker.rank(state, candidates, query.k)
        # the policy calls a learner without item history cold; the online store may know more
        drop = "" if learner.is_cold else "cold_start"
        return [
            Ranked(
                r.item_id,
                r.score,
                round(float(p[ids[r.item_id]]), 4),
                r.skills,
                [*note, *(x for x in r.reasons if x.get("code") != drop)],
            )
            for r in ranked
        ]

    def history_course(self, query: Query) -> str | None:
        """The course of the latest item of the request's history that belongs to one."""
        index = self.index
        for item in reversed(query.history):
            pos = index.item_pos.get(item)
            if pos is not None and index.item_course[pos] >= 0:
                return index.course_ids[int(index.item_course[pos])]
        return None

    def _candidates(
        self,
        part: Part,
        query: Query,
        unmastered: FloatArray,
        learner: LearnerView,
        seen: list[int],
        *,
        filtered: bool = True,
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """Rows of ``part`` that are *reachable* (no unmastered prerequisite; in the request's
        filters unless ``filtered`` is false) and *eligible* to rank: reachable, with an
        unmastered skill, none of the skills the learner is past, and unseen (when the
        request says so)."""
        index = self.index
        reachable = ~(part.item_prereqs @ unmastered > 0)
        if filtered:
            reachable &= self.filters(part, query)
        eligible = reachable & (part.item_skills @ unmastered > 0)
        if learner.behind:
            behind = np.zeros(index.n_skills)
            behind[[index.skill_pos[s] for s in learner.behind if s in index.skill_pos]] = 1.0
            eligible &= ~(part.item_skills @ behind > 0)
        if query.exclude_seen and seen:
            eligible[np.isin(part.rows, seen)] = False
        return np.asarray(reachable, dtype=bool), np.asarray(eligible, dtype=bool)

    def _keep_practising(
        self, allowed: npt.NDArray[np.bool_], m: FloatArray, seen: list[int], k: int
    ) -> list[Ranked]:
        """Everything reachable is mastered: least-mastered allowed items, unseen first."""
        index = self.index
        if not allowed.any():
            return []
        lowest = np.full(index.n_items, np.inf)
        rows = np.repeat(np.arange(index.n_items), np.diff(index.item_skills.indptr))
        np.minimum.at(lowest, rows, m[index.item_skills.indices])
        times = np.bincount(seen, minlength=index.n_items) if seen else np.zeros(index.n_items)
        order = np.lexsort((times, lowest))
        picked = [int(i) for i in order if allowed[i]][:k]
        p = index.skill_mean[picked] @ self.skills.p_correct_skills(m)
        return [
            Ranked(
                index.item_ids[i],
                0.0,
                round(float(pi), 4),
                index.catalog.items[index.item_ids[i]].skills,
                [{"code": "all_mastered", "skill": index.skills[int(index.skills_of(i)[0])]}],
            )
            for i, pi in zip(picked, p, strict=True)
        ]

    def _history_relevance(self, history: Sequence[str]) -> FloatArray:
        if self.rec is None or not self._rec_overlap:
            return self._base_relevance
        known = [i for i in history if i in self.rec.vocabulary_]
        if not known:
            return self._base_relevance
        return self._relevance(self.rec.score([known])[0])

    def _relevance(self, rec_scores: npt.NDArray[Any]) -> FloatArray:
        """Recommender scores on catalog items scaled to [0, 1] (0 where unknown)."""
        known = self._rec_known
        out = np.zeros(self.index.n_items)
        values = np.asarray(rec_scores, dtype=np.float64)[self._rec_known_cols]
        finite = np.isfinite(values)
        if not finite.any():
            return out
        low, high = values[finite].min(), values[finite].max()
        scaled = (values - low) / (high - low) if high > low else np.ones_like(values)
        out[known] = np.where(finite, scaled, 0.0)
        return out

    # ------------------------------------------------------------------ scoring
    def score(
        self, learner: LearnerView, skills: Sequence[str], items: Sequence[str]
    ) -> tuple[dict[str, tuple[float, bool]], dict[str, float]]:
        """``{skill: (mastery, observed)}`` and ``{item: P(correct)}`` (unknown ids skipped)."""
        index = self.index
        m = self.mastery_vector(learner)
        mastery = {
            s: (float(m[index.skill_pos[s]]), s in learner.mastery)
            for s in skills
            if s in index.skill_pos
        }
        rows = [index.item_pos[i] for i in items if i in index.item_pos]
        p = index.skill_mean[rows] @ self.skills.p_correct_skills(m) if rows else []
        return mastery, {index.item_ids[r]: float(v) for r, v in zip(rows, p, strict=True)}


def _top(score: FloatArray, n: int) -> IntArray:
    """Indices of the ``n`` largest finite scores, best first."""
    finite = np.flatnonzero(np.isfinite(score))
    if finite.size > n:
        finite = finite[np.argpartition(-score[finite], n - 1)[:n]]
    return np.asarray(finite[np.argsort(-score[finite], kind="stable")], dtype=np.int64)
