"""Training batches: every chunk once per epoch, about the same number of rows per batch."""

from __future__ import annotations

import numpy as np

from models.kt.base import InteractionSequence
from models.kt.deep.batching import Packed, epoch_batches, pack


def _packed(lengths: list[int], max_len: int = 50) -> Packed:
    rng = np.random.default_rng(3)
    seqs = [
        InteractionSequence(rng.integers(1, 5, n), rng.integers(0, 2, n).astype(np.int8))
        for n in lengths
    ]
    return pack(seqs, max_len, n_skills=4, n_problems=0)


def test_training_batches_cover_every_chunk_once() -> None:
    packed = _packed([3] * 40 + [50] * 10 + [17] * 13)
    batches = epoch_batches(packed, 8, np.random.default_rng(0))
    seen = np.concatenate(batches)
    assert sorted(seen.tolist()) == list(range(len(packed)))


def test_training_batches_hold_about_equal_rows() -> None:
    """Short chunks come many to a batch: the row count, not the chunk count, is balanced
    (each batch within one chunk of ``batch_size`` x the mean chunk length)."""
    packed = _packed([2] * 200 + [20] * 20 + [11] * 30)
    budget = 8 * packed.lengths.mean()
    batches = epoch_batches(packed, 8, np.random.default_rng(0))
    rows = np.array([packed.lengths[b].sum() for b in batches])
    sizes = np.array([b.size for b in batches])
    longest = packed.lengths.max()
    assert (rows < budget + longest).all()
    assert (np.sort(rows)[1:] > budget - longest).all()  # all but the epoch's remainder
    assert sizes.max() >= 4 * sizes.min()  # many short chunks vs few long ones per batch


def test_training_batches_shuffle_between_epochs_and_are_seeded() -> None:
    packed = _packed(list(range(1, 60)))
    first = epoch_batches(packed, 4, np.random.default_rng(0))
    again = epoch_batches(packed, 4, np.random.default_rng(0))
    other = epoch_batches(packed, 4, np.random.default_rng(1))
    assert [b.tolist() for b in first] == [b.tolist() for b in again]
    assert [b.tolist() for b in first] != [b.tolist() for b in other]


def test_prediction_batches_keep_the_packed_order() -> None:
    packed = _packed([5] * 10)
    batches = epoch_batches(packed, 4, None)
    assert [b.tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert epoch_batches(_packed([]), 4, None) == []
