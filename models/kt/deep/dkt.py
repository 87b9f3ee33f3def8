"""DKT (Piech et al., 2015): an LSTM over (skill, response) interactions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from models.kt.deep.base import DeepKTModel, KTNet


class DKTNet(KTNet):
    """Interaction embedding -> LSTM -> one logit per skill; row ``t`` reads step ``t - 1``.

    Online the LSTM state is carried (``streaming = "carry"``): an update is one LSTM step.
    """

    streaming: ClassVar[str] = "carry"

    def __init__(
        self, n_skills: int, emb_dim: int, hidden_dim: int, n_layers: int, dropout: float
    ) -> None:
        super().__init__()
        self.n_skills = n_skills
        # 0: start token; skill s answered wrong: s; right: s + n_skills
        self.interaction = nn.Embedding(2 * n_skills + 1, emb_dim)
        self.lstm = nn.LSTM(
            emb_dim,
            hidden_dim,
            n_layers,
            batch_first=True,
            dropout=dropout if n_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_dim, n_skills + 1)

    def _inputs(self, skills: torch.Tensor, correct: torch.Tensor) -> torch.Tensor:
        tokens = torch.where(skills > 0, skills + self.n_skills * correct.long(), 0)
        start = tokens.new_zeros((tokens.shape[0], 1))
        return torch.cat([start, tokens[:, :-1]], dim=1)

    def forward(
        self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor
    ) -> torch.Tensor:
        hidden, _ = self.lstm(self.interaction(self._inputs(skills, correct)))
        logits = self.out(self.dropout(hidden))
        return logits.gather(-1, skills.unsqueeze(-1)).squeeze(-1)

    def encode(self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor) -> Any:
        tokens = torch.where(skills > 0, skills + self.n_skills * correct.long(), 0)
        inputs = torch.cat([tokens.new_zeros((tokens.shape[0], 1)), tokens], dim=1)
        hidden, (h, c) = self.lstm(self.interaction(inputs))
        return LSTMCarry(h, c, self.out(hidden[0, -1]))

    def append(self, cache: Any, skill: int, problem: int, correct: int, slide: bool) -> Any:
        """One LSTM step from the carried ``(h, c)``."""
        token = torch.tensor([[skill + self.n_skills * correct]])
        hidden, (h, c) = self.lstm(self.interaction(token), (cache.h, cache.c))
        return LSTMCarry(h, c, self.out(hidden[0, -1]))

    def restore(self, carry: list[float]) -> Any:
        layers, hidden = self.lstm.num_layers, self.lstm.hidden_size
        values = torch.tensor(carry, dtype=torch.float32).view(2, layers, 1, hidden)
        h, c = values[0].contiguous(), values[1].contiguous()
        return LSTMCarry(h, c, self.out(h[-1, 0]))

    def query(self, cache: Any, skills: torch.Tensor, problems: torch.Tensor) -> torch.Tensor:
        return cache.logits[skills]


@dataclass(frozen=True)
class LSTMCarry:
    """The LSTM state after a history and the logits of every skill for the next row."""

    h: torch.Tensor  # (layers, 1, hidden)
    c: torch.Tensor
    logits: torch.Tensor  # (n_skills + 1,)

    def to_list(self) -> list[float]:
        values: list[float] = torch.cat([self.h.flatten(), self.c.flatten()]).tolist()
        return values


class DKT(DeepKTModel):
    """Deep Knowledge Tracing (LSTM). Skill-level: problem ids are not used."""

    name: ClassVar[str] = "dkt"

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        return {"emb_dim": 64, "hidden_dim": 128, "n_layers": 1, "dropout": 0.2}

    def build_net(self) -> KTNet:
        return DKTNet(self.n_skills_, self.emb_dim, self.hidden_dim, self.n_layers, self.dropout)
