"""The RES decision: candidates from a recommender, re-ranked by :class:`ZPDReranker`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from models.policy.mastery import LearnerState
from models.policy.reranker import RankedItem, ZPDReranker


class AdaptivePolicy:
    """Next items for a learner: prerequisite-safe, in the ZPD, spread over skills.

    Parameters
    ----------
    reranker : ZPDReranker
    recommender : models.rec Recommender, optional
        Candidate generator fed with the learner's item history; without it (or when none of
        its candidates is allowed) the whole catalog is ranked.
    n_candidates : int
        Candidates asked from the recommender (default 200).
    """

    def __init__(
        self, reranker: ZPDReranker, recommender: Any = None, *, n_candidates: int = 200
    ) -> None:
        self.reranker = reranker
        self.recommender = recommender
        self.n_candidates = n_candidates

    def recommend(
        self, state: LearnerState, history: Sequence[str] = (), k: int = 10
    ) -> list[RankedItem]:
        """Top ``k`` items with reasons; never an item whose prerequisites are unmastered."""
        ranked: list[RankedItem] = []
        if self.recommender is not None and history:
            recs = self.recommender.recommend(list(history), self.n_candidates, exclude_seen=False)
            ranked = self.reranker.rank(state, {r.item: r.score for r in recs}, k)
        if not ranked:
            ranked = self.reranker.rank(state, None, k)
        if not ranked:
            ranked = self._keep_practising(state, k)
        return ranked

    def next_item(self, state: LearnerState, history: Sequence[str] = ()) -> RankedItem | None:
        """The single best item; ``None`` when nothing is allowed (an empty catalog, every
        skill mastered and none due for review, or no content for the skills whose
        prerequisites are mastered)."""
        ranked = self.recommend(state, history, k=1)
        return ranked[0] if ranked else None

    def _keep_practising(self, state: LearnerState, k: int) -> list[RankedItem]:
        """Everything reachable is mastered: least-mastered allowed items, least seen first."""
        rr = self.reranker
        allowed = [i for i in rr.catalog if not rr.blocked_by(state, i)]
        allowed.sort(
            key=lambda i: (
                min(rr.mastery(state, s) for s in i.skills),
                state.seen.get(i.id, 0),
                i.id,
            )
        )
        return [
            RankedItem(i.id, 0.0, i.skills, [{"code": "all_mastered", "skill": i.skills[0]}])
            for i in allowed[:k]
        ]
