"""SAKT (Pandey & Karypis, 2019): the next question attends to past interactions."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from models.kt.deep.attention import TransformerLayer
from models.kt.deep.base import DeepKTModel, KTNet


class SAKTNet(KTNet):
    """Keys/values: a start token then the interactions shifted by one, with learned positions;
    queries: question embeddings. Query ``t`` sees keys ``0..t`` = start + rows ``< t``."""

    def __init__(
        self, n_skills: int, d_model: int, n_heads: int, n_blocks: int, dropout: float, max_len: int
    ) -> None:
        super().__init__()
        self.n_skills = n_skills
        self.interaction = nn.Embedding(2 * n_skills + 1, d_model)  # 0: start token
        self.question = nn.Embedding(n_skills + 1, d_model)
        self.position = nn.Embedding(max_len + 1, d_model)
        self.blocks = nn.ModuleList(
            [
                TransformerLayer(d_model, n_heads, d_model, dropout, kq_same=False)
                for _ in range(n_blocks)
            ]
        )
        self.out = nn.Linear(d_model, 1)

    def _keys(self, skills: torch.Tensor, correct: torch.Tensor, with_last: bool) -> torch.Tensor:
        tokens = torch.where(skills > 0, skills + self.n_skills * correct.long(), 0)
        start = tokens.new_zeros((tokens.shape[0], 1))
        tokens = torch.cat([start, tokens if with_last else tokens[:, :-1]], dim=1)
        pos = torch.arange(tokens.shape[1])
        return self.interaction(tokens) + self.position(pos)

    def _attend(self, q: torch.Tensor, kv: torch.Tensor, q_pos: torch.Tensor) -> torch.Tensor:
        k_pos = torch.arange(kv.shape[1])
        h = q
        for block in self.blocks:
            h = block(h, kv, kv, q_pos, k_pos, strict=False)
        return self.out(h).squeeze(-1)

    def forward(
        self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor
    ) -> torch.Tensor:
        kv = self._keys(skills, correct, with_last=False)
        return self._attend(self.question(skills), kv, torch.arange(skills.shape[1]))

    def encode(self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor) -> Any:
        return self._keys(skills, correct, with_last=True)

    def query(self, cache: Any, skills: torch.Tensor, problems: torch.Tensor) -> torch.Tensor:
        n = cache.shape[1] - 1
        q = self.question(skills).unsqueeze(0)
        return self._attend(q, cache, torch.full((skills.numel(),), n)).view(-1)


class SAKT(DeepKTModel):
    """Self-Attentive Knowledge Tracing (skill-level)."""

    name: ClassVar[str] = "sakt"

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        return {"d_model": 128, "n_heads": 8, "n_blocks": 1, "dropout": 0.2}

    def build_net(self) -> KTNet:
        return SAKTNet(
            self.n_skills_, self.d_model, self.n_heads, self.n_blocks, self.dropout, self.max_len
        )
