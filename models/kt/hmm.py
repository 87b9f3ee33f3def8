"""Vectorised two-state HMM kernels for BKT: forward, forward-backward and EM statistics.

All (sequence, skill) subsequences are laid out *time-major, longest first*: step ``t`` holds
the ``counts[t]`` subsequences that are at least ``t + 1`` long, always a prefix of the step
before. One Python loop over time steps then processes every subsequence of every skill at
once with numpy, and the total work is proportional to the number of observations.

State 1 is "learned". Per subsequence: ``prior`` = P(L0), ``learn`` = P(T), ``forget`` = P(F),
``guess`` = P(G), ``slip`` = P(S).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.kt.base import FloatArray, IntArray

EPS = 1e-12


@dataclass(frozen=True)
class Layout:
    """Time-major layout of subsequences (see the module docstring)."""

    rows: IntArray  # flat row index of each time-major element
    sub_key: IntArray  # per subsequence (longest first): its group key (skill id)
    sub_of: IntArray  # per time-major element: its subsequence index
    counts: IntArray  # active subsequences per time step
    offsets: IntArray  # start of each time step in the time-major arrays

    @property
    def n_steps(self) -> int:
        return int(self.counts.size)

    @property
    def n_sub(self) -> int:
        return int(self.sub_key.size)


def build_layout(group: IntArray, key: IntArray) -> Layout:
    """Lay out rows grouped by ``group`` (e.g. sequence * n + skill), keeping row order.

    ``key`` (same length) is the per-row parameter key (the skill); it must be constant
    within a group.
    """
    n = group.size
    if n == 0:
        z = np.zeros(0, dtype=np.int64)
        return Layout(z, z, z, z, np.zeros(1, dtype=np.int64))
    order = np.argsort(group, kind="stable")
    g_sorted = group[order]
    starts = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]])
    lengths = np.diff(np.r_[starts, n])
    gid = np.repeat(np.arange(starts.size), lengths)
    pos = np.arange(n) - starts[gid]
    by_len = np.argsort(-lengths, kind="stable")
    rank = np.empty_like(by_len)
    rank[by_len] = np.arange(by_len.size)
    sorted_len = lengths[by_len]
    steps = np.arange(int(sorted_len[0]))
    counts = np.searchsorted(-sorted_len, -steps, side="left").astype(np.int64)
    offsets = np.r_[0, np.cumsum(counts)].astype(np.int64)
    where = offsets[pos] + rank[gid]
    rows = np.empty(n, dtype=np.int64)
    rows[where] = order
    sub_of = np.empty(n, dtype=np.int64)
    sub_of[where] = rank[gid]
    sub_key = key[order[starts]][by_len]
    return Layout(rows, sub_key, sub_of, counts, offsets)


@dataclass
class Params:
    """BKT parameters, one entry per subsequence (gathered from per-skill arrays)."""

    prior: FloatArray
    learn: FloatArray
    forget: FloatArray
    guess: FloatArray
    slip: FloatArray

    def take(self, index: IntArray) -> Params:
        return Params(
            *(getattr(self, f)[index] for f in ("prior", "learn", "forget", "guess", "slip"))
        )


def forward(
    layout: Layout, obs: np.ndarray, p: Params
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Filter every subsequence.

    Returns time-major ``(pred, filtered, scale)``: P(correct) before each observation,
    P(learned) after it, and the observation likelihood (its log sums to the log-likelihood).
    """
    total = obs.size
    pred = np.empty(total)
    filt = np.empty(total)
    scale = np.empty(total)
    learned = p.prior.copy()
    for t in range(layout.n_steps):
        n = int(layout.counts[t])
        sl = slice(int(layout.offsets[t]), int(layout.offsets[t + 1]))
        learned = learned[:n]
        g, s, o = p.guess[:n], p.slip[:n], obs[sl]
        right = learned * (1.0 - s)
        pc = right + (1.0 - learned) * g
        pred[sl] = pc
        num = np.where(o, right, learned * s)
        den = np.where(o, pc, 1.0 - pc)
        post = num / np.maximum(den, EPS)
        filt[sl] = post
        scale[sl] = den
        learned = post * (1.0 - p.forget[:n]) + (1.0 - post) * p.learn[:n]
    return pred, filt, scale


@dataclass
class Stats:
    """Expected sufficient statistics per time-major element (E-step output)."""

    gamma: FloatArray  # P(learned at t | all observations)
    xi_learn: FloatArray  # P(unlearned at t, learned at t+1 | all); 0 at the last step
    xi_forget: FloatArray  # P(learned at t, unlearned at t+1 | all)
    has_next: np.ndarray  # element is not the last of its subsequence
    loglik: float


def forward_backward(layout: Layout, obs: np.ndarray, p: Params) -> Stats:
    """Scaled forward-backward over all subsequences at once."""
    _, filt, scale = forward(layout, obs, p)
    total = obs.size
    gamma = np.empty(total)
    xi_learn = np.zeros(total)
    xi_forget = np.zeros(total)
    has_next = np.zeros(total, dtype=bool)
    # beta[i] for state (unlearned, learned) of the subsequences active at step t + 1
    b0 = np.ones(0)
    b1 = np.ones(0)
    for t in range(layout.n_steps - 1, -1, -1):
        n = int(layout.counts[t])
        sl = slice(int(layout.offsets[t]), int(layout.offsets[t + 1]))
        a1 = filt[sl]
        a0 = 1.0 - a1
        m = b0.size  # subsequences that continue to t + 1 (a prefix)
        beta0 = np.ones(n)
        beta1 = np.ones(n)
        if m:
            nxt = slice(int(layout.offsets[t + 1]), int(layout.offsets[t + 2]))
            o = obs[nxt]
            g, s = p.guess[:m], p.slip[:m]
            e0 = np.where(o, g, 1.0 - g) * b0 / np.maximum(scale[nxt], EPS)
            e1 = np.where(o, 1.0 - s, s) * b1 / np.maximum(scale[nxt], EPS)
            learn, forget = p.learn[:m], p.forget[:m]
            beta0[:m] = (1.0 - learn) * e0 + learn * e1
            beta1[:m] = forget * e0 + (1.0 - forget) * e1
            xi_learn[sl][:m] = a0[:m] * learn * e1
            xi_forget[sl][:m] = a1[:m] * forget * e0
            has_next[sl][:m] = True
        g1 = a1 * beta1
        gamma[sl] = g1 / np.maximum(g1 + a0 * beta0, EPS)
        b0, b1 = beta0, beta1
    loglik = float(np.log(np.maximum(scale, EPS)).sum())
    return Stats(gamma, xi_learn, xi_forget, has_next, loglik)


def per_key_sum(values: FloatArray, keys: IntArray, n_keys: int) -> FloatArray:
    """Sum ``values`` by integer key (0..n_keys-1)."""
    return np.asarray(
        np.bincount(keys, weights=values, minlength=n_keys)[:n_keys], dtype=np.float64
    )
