"""Learner split, vocabularies and sequences from training-set rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.kt_data import Vocabulary, assign_split, sequences


def rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "learner_id": ["b", "a", "b", "a", "a"],
            "skill_id": ["s2", "s1", "s1", "s9", "s2"],
            "item_id": ["i1", "i1", "i2", "i3", "i1"],
            "correct": [1, 0, 1, 1, 0],
        }
    )


def test_split_is_deterministic_per_learner_and_seed() -> None:
    learners = pd.Series([f"l{i}" for i in range(2000)])
    split = assign_split(learners, valid=0.1, test=0.2, seed=1)
    assert split.equals(assign_split(learners[::-1], valid=0.1, test=0.2, seed=1)[::-1])
    shares = split.value_counts(normalize=True)
    assert abs(shares["test"] - 0.2) < 0.03 and abs(shares["valid"] - 0.1) < 0.03
    assert not split.equals(assign_split(learners, valid=0.1, test=0.2, seed=2))


def test_vocabulary_maps_unknown_ids_to_zero(tmp_path) -> None:
    vocab = Vocabulary.build(rows()[rows()["skill_id"] != "s9"])
    assert vocab.skills == ["s1", "s2"]
    assert vocab.skill_ids(["s2", "s9", "s1"]).tolist() == [2, 0, 1]
    assert Vocabulary.load(vocab.save(tmp_path / "v.json")).items == vocab.items


def test_sequences_keep_row_positions() -> None:
    data = rows()
    vocab = Vocabulary.build(data)
    seqs = sequences(data, vocab)
    assert seqs.learners == ["b", "a"]
    assert [idx.tolist() for idx in seqs.row_index] == [[0, 2], [1, 3, 4]]
    a = seqs.sequences[1]
    assert a.skills.tolist() == vocab.skill_ids(["s1", "s9", "s2"]).tolist()
    assert np.asarray(a.correct).tolist() == [0, 1, 0]
    assert len(seqs.chunks(2)) == 3
