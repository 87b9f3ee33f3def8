"""The shared torch training loop: bucketed batches, early stopping on valid AUC, checkpoints."""

from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from models.kt.base import FitProgress, ProgressCallback
from models.kt.deep.batching import Batch, Packed, epoch_batches
from models.kt.io import write_atomically
from models.metrics import roc_auc


@dataclass
class TrainConfig:
    """Optimisation settings (all models)."""

    lr: float = 1e-3
    weight_decay: float = 0.0
    batch_size: int = 64
    max_epochs: int = 30
    patience: int = 3
    lr_decay: float = 0.5  # multiply the learning rate after an epoch without improvement
    grad_clip: float = 1.0
    ema: float = 0.0  # > 0: validate and keep an exponential moving average of the weights
    seed: int = 0
    num_threads: int | None = None
    checkpoint_path: str | None = None
    eval_batch_size: int = 128


@dataclass
class TrainResult:
    """What training did: epochs, the best valid AUC and its epoch, wall time."""

    best_epoch: int = 0
    best_valid_auc: float = float("nan")
    epochs: int = 0
    seconds: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)


def default_threads() -> int:
    """The cores this process may use, minus those other processes keep busy (1-min load).

    On a shared machine OpenMP threads that wait for descheduled siblings make every op
    far slower (measured here: 30x to 1000x per batch at load 10 on 2 cores), so a busy
    machine gets one thread.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        cores = os.cpu_count() or 1
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return max(1, min(cores, round(cores - busy + 0.5)))


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % (2**32))


def batch_loss(net: nn.Module, batch: Batch) -> torch.Tensor:
    logits = net(batch.skills, batch.problems, batch.correct)
    loss = nn.functional.binary_cross_entropy_with_logits(
        logits[batch.mask], batch.correct[batch.mask]
    )
    extra = getattr(net, "regularization", None)
    return loss + extra() if callable(extra) else loss


@torch.inference_mode()
def predict_packed(net: nn.Module, packed: Packed, batch_size: int) -> np.ndarray:
    """Sigmoid outputs ``(n_chunks, max_len)`` for packed chunks (padding left at 0)."""
    net.eval()
    out = np.zeros(packed.skills.shape, dtype=np.float64)
    for index in epoch_batches(packed, batch_size, None):
        batch = packed.batch(index)
        probs = torch.sigmoid(net(batch.skills, batch.problems, batch.correct))
        out[index, : probs.shape[1]] = probs.double().numpy()
    return out


def evaluate(net: nn.Module, packed: Packed, batch_size: int) -> float:
    probs = predict_packed(net, packed, batch_size)
    mask = packed.skills > 0
    return roc_auc(packed.correct[mask], probs[mask])


@dataclass
class _Run:
    """Mutable training state, saved whole in a checkpoint."""

    result: TrainResult
    best: dict[str, Any]
    rng: np.random.Generator
    stale: int = 0
    epoch: int = 0
    ema: dict[str, torch.Tensor] | None = None  # the weights' moving average (config.ema > 0)


def _save(path: Path, net: nn.Module, optimizer: torch.optim.Optimizer, run: _Run) -> None:
    state = {
        "net": net.state_dict(),
        "optimizer": optimizer.state_dict(),
        "run": run,
        "torch_rng": torch.get_rng_state(),
    }
    write_atomically(path, lambda fh: torch.save(state, fh))


def _resume(path: Path, net: nn.Module, optimizer: torch.optim.Optimizer) -> _Run:
    saved = torch.load(path, weights_only=False)  # our own checkpoint file
    net.load_state_dict(saved["net"])
    optimizer.load_state_dict(saved["optimizer"])
    torch.set_rng_state(saved["torch_rng"])
    run: _Run = saved["run"]
    return run


def _epoch(
    net: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: Packed,
    config: TrainConfig,
    run: _Run,
    progress: ProgressCallback | None,
) -> float:
    """One pass over ``data``; returns the mean training loss per row."""
    net.train()
    total, count = 0.0, 0
    batches = epoch_batches(data, config.batch_size, run.rng)
    for done, index in enumerate(batches, 1):
        batch = data.batch(index)
        optimizer.zero_grad(set_to_none=True)
        loss = batch_loss(net, batch)
        loss.backward()
        if config.grad_clip > 0:
            nn.utils.clip_grad_norm_(net.parameters(), config.grad_clip)
        optimizer.step()
        if run.ema is not None:
            _average_into(run.ema, net, config.ema)
        rows = int(batch.mask.sum())
        total += loss.item() * rows
        count += rows
        if progress is not None:
            progress(
                FitProgress(f"epoch {run.epoch + 1}", done, len(batches), {"loss": total / count})
            )
    return total / max(count, 1)


def _average_into(ema: dict[str, torch.Tensor], net: nn.Module, decay: float) -> None:
    """``ema <- decay * ema + (1 - decay) * weights`` for every float tensor of ``net``."""
    with torch.no_grad():
        for key, value in net.state_dict().items():
            if value.is_floating_point():
                ema[key].lerp_(value, 1.0 - decay)
            else:
                ema[key].copy_(value)


def _evaluated_weights(
    net: nn.Module, valid_data: Packed, config: TrainConfig, run: _Run
) -> tuple[float, dict[str, Any]]:
    """Valid AUC of the weights training keeps (the moving average when there is one)."""
    if run.ema is None:
        return evaluate(net, valid_data, config.eval_batch_size), net.state_dict()
    live = copy.deepcopy(net.state_dict())
    net.load_state_dict(run.ema)
    try:
        return evaluate(net, valid_data, config.eval_batch_size), run.ema
    finally:
        net.load_state_dict(live)


def train(
    net: nn.Module,
    train_data: Packed,
    valid_data: Packed,
    config: TrainConfig,
    progress: ProgressCallback | None = None,
) -> TrainResult:
    """Adam with early stopping on the valid AUC; returns with the best weights loaded.

    After an epoch without improvement the learning rate is multiplied by ``lr_decay``;
    training stops after more than ``patience`` such epochs in a row. With ``config.ema``
    the moving average of the weights (updated every step) is validated and kept. With
    ``config.checkpoint_path`` every epoch is saved and an existing checkpoint is resumed.
    """
    torch.set_num_threads(config.num_threads or default_threads())
    seed_everything(config.seed)
    optimizer = torch.optim.Adam(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    run = _Run(TrainResult(), copy.deepcopy(net.state_dict()), np.random.default_rng(config.seed))
    if config.ema > 0:
        run.ema = copy.deepcopy(net.state_dict())
    ckpt = Path(config.checkpoint_path) if config.checkpoint_path else None
    if ckpt is not None and ckpt.is_file():
        run = _resume(ckpt, net, optimizer)
    began = time.perf_counter() - run.result.seconds
    while run.epoch < config.max_epochs and run.stale <= config.patience:
        t0 = time.perf_counter()
        loss = _epoch(net, optimizer, train_data, config, run, progress)
        train_s = time.perf_counter() - t0
        auc, weights = _evaluated_weights(net, valid_data, config, run)
        run.epoch += 1
        result = run.result
        result.history.append(
            {
                "epoch": run.epoch,
                "loss": loss,
                "valid_auc": auc,
                "train_s": train_s,
                "threads": torch.get_num_threads(),  # results depend on it in the last digits
            }
        )
        result.epochs = run.epoch
        if not auc <= result.best_valid_auc:  # first epoch (nan) or an improvement
            result.best_valid_auc, result.best_epoch = auc, run.epoch
            run.best = copy.deepcopy(weights)
            run.stale = 0
        else:
            run.stale += 1
            for group in optimizer.param_groups:
                group["lr"] *= config.lr_decay
        result.seconds = time.perf_counter() - began
        if progress is not None:
            progress(FitProgress(f"epoch {run.epoch}", 1, 1, {"valid_auc": auc}))
        if ckpt is not None:
            _save(ckpt, net, optimizer, run)
    net.load_state_dict(run.best)
    net.eval()
    return run.result
