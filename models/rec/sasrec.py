"""SASRec (Kang & McAuley 2018): a causal self-attention encoder over the learner's sequence.

Trained with a sampled softmax (each batch's positives plus ``n_negatives`` uniform random
items share one candidate set), which keeps CPU training affordable for ~17k items; scored
against every item at inference. Output embeddings are tied to the input item embeddings.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from models.rec.base import FloatArray, IntArray, Recommender
from models.rec.metrics import ndcg_at_k

PAD = 0


class _Encoder(nn.Module):
    def __init__(self, n_items: int, max_len: int, d: int, layers: int, heads: int, dropout: float):
        super().__init__()
        self.items = nn.Embedding(n_items + 1, d, padding_idx=PAD)
        self.positions = nn.Embedding(max_len, d)
        nn.init.normal_(self.items.weight, 0.0, 0.05)
        nn.init.normal_(self.positions.weight, 0.0, 0.05)
        with torch.no_grad():
            self.items.weight[PAD].zero_()
        self.dropout = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(
            d, heads, 2 * d, dropout=dropout, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        mask = torch.triu(torch.ones(max_len, max_len, dtype=torch.bool), diagonal=1)
        self.register_buffer("causal", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.dropout(self.items(x) + self.positions.weight[None, : x.shape[1]])
        return self.norm(self.encoder(h, mask=self.causal))


class SASRecRecommender(Recommender):
    """Self-attentive sequential recommender (torch, CPU).

    Parameters
    ----------
    max_len : int
        Items of history attended to (default 50).
    d_model, n_layers, n_heads, dropout
        Encoder size (defaults 64, 2, 2, 0.3).
    epochs, batch_size, lr, weight_decay
        Adam training (defaults 30, 128, 1e-3, 0).
    n_negatives : int
        Uniform negatives per batch in the sampled softmax (default 1024).
    eval_every : int
        With validation data, evaluate NDCG@10 every this many epochs and keep the best weights.
    seed, threads : int
        Seed of every draw; torch intra-op threads (default 1).

    Attributes
    ----------
    history_ : list of dict
        Per-epoch loss, seconds and (when validated) NDCG@10.
    best_epoch_ : int
    """

    name: ClassVar[str] = "sasrec"
    score_kind: ClassVar[str] = "logit"

    def __init__(
        self,
        *,
        max_len: int = 50,
        d_model: int = 64,
        n_layers: int = 2,
        n_heads: int = 2,
        dropout: float = 0.3,
        epochs: int = 30,
        batch_size: int = 128,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        n_negatives: int = 1024,
        eval_every: int = 2,
        seed: int = 0,
        threads: int = 1,
    ) -> None:
        self.max_len = max_len
        self.d_model = d_model
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.n_negatives = n_negatives
        self.eval_every = eval_every
        self.seed = seed
        self.threads = threads

    def _build(self) -> _Encoder:
        return _Encoder(
            len(self.vocabulary_),
            self.max_len,
            self.d_model,
            self.n_layers,
            self.n_heads,
            self.dropout,
        )

    def _fit(
        self,
        sequences: list[IntArray],
        validation: tuple[Sequence[Sequence[Any]], Sequence[Any]] | None = None,
        progress: Callable[[dict[str, float]], None] | None = None,
        **side_info: Any,
    ) -> None:
        torch.set_num_threads(self.threads)
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        inputs, targets = _windows(sequences, self.max_len)
        self.network_ = self._build()
        optimiser = torch.optim.Adam(
            self.network_.parameters(), lr=self.lr, weight_decay=self.weight_decay
        )
        valid = self._encode_validation(validation) if validation else None
        best, best_state = -1.0, None
        self.history_: list[dict[str, float]] = []
        self.best_epoch_ = self.epochs
        n_items = len(self.vocabulary_)
        for epoch in range(1, self.epochs + 1):
            started, total = time.perf_counter(), 0.0
            self.network_.train()
            for batch in np.array_split(
                rng.permutation(len(inputs)), max(1, len(inputs) // self.batch_size)
            ):
                x, y = inputs[batch], targets[batch]
                hidden = self.network_(x)
                mask = y > PAD
                positives = y[mask]
                negatives = torch.from_numpy(rng.integers(1, n_items + 1, self.n_negatives))
                candidates = torch.unique(torch.cat([positives, negatives]))
                logits = hidden[mask] @ self.network_.items.weight[candidates].T
                loss = nn.functional.cross_entropy(
                    logits, torch.searchsorted(candidates, positives)
                )
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total += float(loss.detach()) * len(batch)
            record = {
                "epoch": float(epoch),
                "loss": total / len(inputs),
                "seconds": time.perf_counter() - started,
            }
            if valid is not None and (epoch % self.eval_every == 0 or epoch == self.epochs):
                record["valid_ndcg10"] = self._validate(*valid)
                if record["valid_ndcg10"] > best:
                    best, best_state = (
                        record["valid_ndcg10"],
                        copy.deepcopy(self.network_.state_dict()),
                    )
                    self.best_epoch_ = epoch
            self.history_.append(record)
            if progress is not None:
                progress(record)
        if best_state is not None:
            self.network_.load_state_dict(best_state)
        self.network_.eval()

    def _encode_validation(
        self, validation: tuple[Sequence[Sequence[Any]], Sequence[Any]]
    ) -> tuple[list[IntArray], IntArray]:
        histories, targets = validation
        keep = [i for i, t in enumerate(targets) if t in self.vocabulary_]
        encoded = [self.vocabulary_.encode(histories[i]) for i in keep]
        return encoded, self.vocabulary_.encode([targets[i] for i in keep])

    def _validate(self, histories: list[IntArray], targets: IntArray) -> float:
        scores = self._score(histories)
        for row, seen in zip(scores, histories, strict=True):
            row[seen] = -np.inf
        return float(ndcg_at_k(scores, targets, 10).mean())

    def _score(self, histories: list[IntArray]) -> FloatArray:
        self.network_.eval()
        out = np.zeros((len(histories), len(self.vocabulary_)), dtype=np.float32)
        with torch.no_grad():
            for start in range(0, len(histories), 256):
                chunk = histories[start : start + 256]
                x = torch.zeros((len(chunk), self.max_len), dtype=torch.long)
                for i, h in enumerate(chunk):
                    tail = h[-self.max_len :] + 1
                    if tail.size:
                        x[i, self.max_len - tail.size :] = torch.from_numpy(tail)
                hidden = self.network_(x)[:, -1]
                logits = hidden @ self.network_.items.weight[1:].T
                out[start : start + len(chunk)] = logits.numpy()
        return out

    def _arrays(self) -> dict[str, np.ndarray]:
        return {}

    def _save_extra(self, folder: Path) -> None:
        torch.save(self.network_.state_dict(), folder / "model.pt")

    def _restore(self, arrays: Mapping[str, np.ndarray], folder: Path) -> None:
        self.network_ = self._build()
        state = torch.load(folder / "model.pt", map_location="cpu", weights_only=True)
        self.network_.load_state_dict(state)
        self.network_.eval()


def _windows(sequences: list[IntArray], max_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Left-padded (input, next-item target) windows; long sequences give several windows."""
    inputs, targets = [], []
    for seq in sequences:
        s = seq + 1  # shift: 0 is padding
        for end in range(s.size, 1, -max_len):
            w = s[max(0, end - max_len - 1) : end]
            x = np.zeros(max_len, dtype=np.int64)
            y = np.zeros(max_len, dtype=np.int64)
            x[max_len - w.size + 1 :] = w[:-1]
            y[max_len - w.size + 1 :] = w[1:]
            inputs.append(x)
            targets.append(y)
    if not inputs:
        return torch.zeros((0, max_len), dtype=torch.long), torch.zeros(
            (0, max_len), dtype=torch.long
        )
    return torch.from_numpy(np.stack(inputs)), torch.from_numpy(np.stack(targets))
