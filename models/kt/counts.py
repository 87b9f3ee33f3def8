"""Per-row history counts (prior attempts/successes per skill and in total), vectorised."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.kt.data import Rows


@dataclass(frozen=True)
class Counts:
    """For every row: what the learner did *before* it (same sequence)."""

    skill_attempts: np.ndarray
    skill_successes: np.ndarray
    total_attempts: np.ndarray
    total_successes: np.ndarray

    @property
    def skill_failures(self) -> np.ndarray:
        return self.skill_attempts - self.skill_successes


def _prior_cumsum(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Sum of ``values`` over earlier rows of the same group (rows are in time order)."""
    order = np.argsort(group, kind="stable")
    g = group[order]
    v = values[order].astype(np.float64)
    csum = np.cumsum(v)
    starts = np.r_[True, g[1:] != g[:-1]]
    base = np.maximum.accumulate(np.where(starts, np.arange(g.size), 0))
    before = csum - v - (csum[base] - v[base])
    out = np.empty_like(before)
    out[order] = before
    return out


def history_counts(rows: Rows) -> Counts:
    """Counts of :class:`Rows` (per (sequence, skill) and per sequence)."""
    if rows.skills.size == 0:
        z = np.zeros(0)
        return Counts(z, z, z, z)
    n_ids = int(rows.skills.max(initial=0)) - int(rows.skills.min(initial=0)) + 1
    group = rows.seq * n_ids + (rows.skills - rows.skills.min())
    ones = np.ones(rows.skills.size)
    correct = rows.correct.astype(np.float64)
    return Counts(
        _prior_cumsum(ones, group),
        _prior_cumsum(correct, group),
        rows.pos.astype(np.float64),
        _prior_cumsum(correct, rows.seq),
    )
