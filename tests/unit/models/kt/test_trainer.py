"""The shared torch trainer: the weights' moving average and resuming from a checkpoint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from models.kt import InteractionSequence, make_model
from models.kt.deep.trainer import _average_into

TINY: dict[str, object] = {"d_model": 16, "n_heads": 2, "num_threads": 1, "batch_size": 4}


def _sequences(n: int, seed: int) -> list[InteractionSequence]:
    """Learners who answer skill 1 right and skill 2 wrong, with 10% noise."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        skills = rng.integers(1, 3, size=12)
        correct = np.where(rng.random(12) < 0.9, skills == 1, skills != 1).astype(np.int8)
        out.append(InteractionSequence(skills, correct))
    return out


def _weights(model: object) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in model.net_.state_dict().items()}  # type: ignore[attr-defined]


def test_average_into_moves_each_float_tensor_toward_the_weights() -> None:
    net = torch.nn.Linear(2, 1)
    with torch.no_grad():
        net.weight.fill_(1.0)
        net.bias.fill_(-2.0)
    ema = {"weight": torch.zeros(1, 2), "bias": torch.zeros(1)}
    _average_into(ema, net, decay=0.75)
    torch.testing.assert_close(ema["weight"], torch.full((1, 2), 0.25))
    torch.testing.assert_close(ema["bias"], torch.tensor([-0.5]))


def test_a_slow_moving_average_keeps_weights_near_the_initial_ones() -> None:
    train, valid = _sequences(40, 0), _sequences(10, 1)
    untrained = make_model("sakt", **TINY, max_epochs=0).fit(train, valid, n_skills=2)
    plain = make_model("sakt", **TINY, max_epochs=3).fit(train, valid, n_skills=2)
    averaged = make_model("sakt", **TINY, max_epochs=3, ema=1 - 1e-9).fit(train, valid, n_skills=2)
    start, moved, kept = _weights(untrained), _weights(plain), _weights(averaged)
    assert any(not torch.allclose(start[k], moved[k], atol=1e-3) for k in start)
    for key in start:
        torch.testing.assert_close(kept[key], start[key], atol=1e-6, rtol=0)


def test_training_with_a_moving_average_learns_the_signal() -> None:
    train, valid = _sequences(60, 0), _sequences(20, 1)
    model = make_model("sakt", **TINY, max_epochs=8, lr=1e-2, ema=0.9).fit(train, valid, n_skills=2)
    assert model.train_result_.best_valid_auc > 0.8


@pytest.mark.parametrize("ema", [0.0, 0.9])
def test_resuming_a_checkpoint_continues_the_same_run(tmp_path: Path, ema: float) -> None:
    train, valid = _sequences(30, 0), _sequences(10, 1)
    params = {**TINY, "ema": ema, "patience": 10}
    whole = make_model("sakt", **params, max_epochs=3).fit(train, valid, n_skills=2)
    ckpt = str(tmp_path / "sakt.pt")
    make_model("sakt", **params, max_epochs=1, checkpoint_path=ckpt).fit(train, valid, n_skills=2)
    resumed = make_model("sakt", **params, max_epochs=3, checkpoint_path=ckpt).fit(
        train, valid, n_skills=2
    )
    assert [e["valid_auc"] for e in resumed.train_result_.history] == [
        e["valid_auc"] for e in whole.train_result_.history
    ]
    for key, value in _weights(whole).items():
        torch.testing.assert_close(_weights(resumed)[key], value)
