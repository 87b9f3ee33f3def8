"""Mastery snapshots: every learner's per-skill mastery at regular moments of their history.

The input of prerequisite mining (``knowledge_graph.mining``): one row per learner × moment,
one column per skill. Works with any fitted :class:`~models.kt.base.KTModel` through its online
API (``init_state`` / ``update`` / ``mastery``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from models.kt.base import FloatArray, KTEvent, KTModel


def mastery_snapshots(
    model: KTModel,
    histories: Iterable[Sequence[KTEvent]],
    skills: Sequence[int],
    every: int,
    *,
    practised_only: bool = False,
) -> FloatArray:
    """Mastery of ``skills`` after every ``every`` answers of each history and after its last.

    Parameters
    ----------
    model : KTModel
        A fitted model.
    histories : iterable of event sequences
        One time-ordered history per learner (a multi-skill answer is one event).
    skills : sequence of int
        Model skill ids, the columns of the result.
    every : int
        Answers between two snapshots (>= 1).
    practised_only : bool
        NaN for a skill the learner has not answered yet, instead of the model's prior.

    Returns
    -------
    array of shape (n_snapshots, len(skills))
        Rows in history order, then time order; empty histories give no row.
    """
    if every < 1:
        raise ValueError(f"every must be >= 1, got {every}")
    wanted = list(skills)
    rows: list[list[float]] = []
    for history in histories:
        state = model.init_state()
        seen: set[int] = set()
        for n, event in enumerate(history, start=1):
            state = model.update(state, event)
            seen.update(event.skills)
            if n % every == 0 or n == len(history):
                mastery = model.mastery(state, wanted)
                rows.append(
                    [mastery[s] if s in seen or not practised_only else np.nan for s in wanted]
                )
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(wanted))
