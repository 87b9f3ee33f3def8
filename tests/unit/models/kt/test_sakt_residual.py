"""SAKT's residual stream: the question (paper) or the last interaction (seewoo5/KT)."""

from __future__ import annotations

import numpy as np
import pytest

from models.kt import InteractionSequence, make_model
from models.metrics import roc_auc


def _echo(n_learners: int, seed: int) -> list[InteractionSequence]:
    """Random skills; each answer repeats the previous one 90 % of the time."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_learners):
        flips = rng.random(40) < 0.1
        correct = np.logical_xor.accumulate(np.r_[rng.random() < 0.5, flips[1:]])
        out.append(InteractionSequence(rng.integers(1, 21, 40), correct.astype(np.int8)))
    return out


def _auc(residual: str) -> float:
    model = make_model(
        "sakt",
        d_model=16,
        n_heads=2,
        residual=residual,
        lr=5e-3,
        batch_size=16,
        max_epochs=15,
        num_threads=1,
    ).fit(_echo(120, 0), _echo(30, 1), n_skills=20)
    test = _echo(60, 2)
    labels = np.concatenate([s.correct[1:] for s in test])
    preds = np.concatenate([p[1:] for p in model.predict_proba(test)])
    return roc_auc(labels, preds)


def test_last_interaction_residual_reads_the_previous_answer() -> None:
    last = _auc("interaction")
    assert last > 0.85
    assert last > _auc("question") + 0.05


def test_unknown_residual_is_refused_naming_the_choices() -> None:
    with pytest.raises(ValueError, match="residual must be one of"):
        make_model("sakt", residual="key").fit(_echo(5, 0), n_skills=20)
