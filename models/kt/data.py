"""Array plumbing shared by the KT models: flatten sequences into rows, chunk, split back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.kt.base import (
    FloatArray,
    IntArray,
    InteractionSequence,
    InvalidSequenceError,
    SequenceLike,
    as_sequence,
)


@dataclass(frozen=True)
class Rows:
    """All rows of a list of sequences, concatenated (problem 0 = unknown / none)."""

    seq: IntArray
    pos: IntArray
    skills: IntArray
    correct: np.ndarray
    problems: IntArray
    lengths: IntArray

    @property
    def n_sequences(self) -> int:
        return int(self.lengths.size)

    def split(self, values: np.ndarray) -> list[FloatArray]:
        """Cut a per-row array back into one array per sequence."""
        return [
            np.asarray(v, dtype=np.float64) for v in np.split(values, np.cumsum(self.lengths)[:-1])
        ]


def flatten(sequences: Sequence[SequenceLike]) -> Rows:
    """Concatenate sequences into :class:`Rows` (validating each one)."""
    seqs = [as_sequence(s) for s in sequences]
    lengths = np.array([len(s) for s in seqs], dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Rows(empty, empty, empty, np.zeros(0, np.int8), empty, lengths)
    seq = np.repeat(np.arange(len(seqs), dtype=np.int64), lengths)
    starts = np.cumsum(lengths) - lengths
    pos = np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)
    skills = np.concatenate([s.skills for s in seqs])
    correct = np.concatenate([s.correct for s in seqs]).astype(np.int8)
    problems = np.concatenate(
        [s.problems if s.problems is not None else np.zeros(len(s), np.int64) for s in seqs]
    )
    return Rows(seq, pos, skills, correct, problems, lengths)


def training_sequences(train: Sequence[SequenceLike]) -> list[InteractionSequence]:
    """``train``'s non-empty sequences, validated; :class:`InvalidSequenceError` if none."""
    seqs = [s for s in map(as_sequence, train) if len(s)]
    if not seqs:
        raise InvalidSequenceError("fit needs at least one non-empty sequence")
    return seqs


def chunk_sequences(sequences: Sequence[SequenceLike], max_len: int) -> list[InteractionSequence]:
    """Split every sequence into consecutive chunks of at most ``max_len`` rows.

    This is the published protocol of the shipped folds (chunks of 200, each predicted from
    its own rows only).
    """
    chunks: list[InteractionSequence] = []
    for raw in sequences:
        s = as_sequence(raw)
        for start in range(0, max(len(s), 1), max_len):
            stop = start + max_len
            problems = None if s.problems is None else s.problems[start:stop]
            if len(s.skills[start:stop]):
                chunks.append(
                    InteractionSequence(s.skills[start:stop], s.correct[start:stop], problems)
                )
    return chunks


def known_mask(ids: IntArray, n_known: int) -> np.ndarray:
    """Ids the model has parameters for (1..n_known); the rest are cold-start ids."""
    return (ids >= 1) & (ids <= n_known)
