"""Padded, length-bucketed batches of KT chunks for the torch models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from models.kt.base import InteractionSequence, SequenceLike
from models.kt.data import chunk_sequences


@dataclass(frozen=True)
class Batch:
    """Right-padded ``(B, L)`` tensors; ``mask`` marks real rows (skill id 0 is padding)."""

    skills: torch.Tensor
    problems: torch.Tensor
    correct: torch.Tensor
    mask: torch.Tensor


@dataclass(frozen=True)
class Packed:
    """Chunks as one padded numpy block, sorted by length (longest first)."""

    skills: np.ndarray
    problems: np.ndarray
    correct: np.ndarray
    lengths: np.ndarray

    def __len__(self) -> int:
        return int(self.lengths.size)

    def batch(self, index: np.ndarray) -> Batch:
        width = max(int(self.lengths[index].max()), 1)
        sk = torch.from_numpy(self.skills[index, :width])
        return Batch(
            sk,
            torch.from_numpy(self.problems[index, :width]),
            torch.from_numpy(self.correct[index, :width]),
            sk > 0,
        )


def pack(sequences: Sequence[SequenceLike], max_len: int, n_skills: int, n_problems: int) -> Packed:
    """Chunk to ``max_len`` and pad. Unknown skills must be removed by the caller;
    unknown problems become 0 (the average problem)."""
    chunks: list[InteractionSequence] = chunk_sequences(sequences, max_len)
    lengths = np.array([len(c) for c in chunks], dtype=np.int64)
    order = np.argsort(-lengths, kind="stable")
    n = len(chunks)
    skills = np.zeros((n, max_len), dtype=np.int64)
    problems = np.zeros((n, max_len), dtype=np.int64)
    correct = np.zeros((n, max_len), dtype=np.float32)
    for row, i in enumerate(order):
        c = chunks[i]
        m = len(c)
        skills[row, :m] = c.skills
        correct[row, :m] = c.correct
        if c.problems is not None:
            p = c.problems
            problems[row, :m] = np.where((p >= 1) & (p <= n_problems), p, 0)
    return Packed(skills, problems, correct, lengths[order])


def epoch_batches(
    packed: Packed, batch_size: int, rng: np.random.Generator | None
) -> list[np.ndarray]:
    """Index arrays of chunks of similar length, so each batch is padded to little more than
    its own longest chunk.

    Prediction (``rng`` None): ``batch_size`` chunks per batch, longest first. Training
    (``rng`` given): each batch holds about ``batch_size`` × the mean chunk length *rows*
    (short chunks come many to a batch), in shuffled order with lengths jittered from epoch to
    epoch. Equal-row batches make every row weigh the same in an epoch; with a fixed chunk
    count, the batches of short chunks would each take an optimizer step on few rows and
    over-weight short histories (measured: DKT on assist2009 fold 1 valid AUC 0.8037 with
    fixed-count buckets, 0.8117 with equal-row buckets).
    """
    n = len(packed)
    if n == 0:
        return []
    if rng is None:
        return [np.arange(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
    noisy = packed.lengths + rng.uniform(0, 8, n)
    order = np.argsort(-noisy, kind="stable")
    budget = batch_size * float(packed.lengths.mean())
    rows = np.cumsum(packed.lengths[order])
    # a batch ends at the chunk whose rows reach the next multiple of the budget
    ends = np.searchsorted(rows, np.arange(budget, rows[-1], budget)) + 1
    batches = [b for b in np.split(order, np.unique(ends)) if b.size]
    rng.shuffle(batches)
    return batches
