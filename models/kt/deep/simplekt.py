"""simpleKT (Liu et al., ICLR 2023): Rasch embeddings + plain dot-product attention."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
from torch import nn

from models.kt.deep.attention import RaschEmbedding, TransformerLayer, output_mlp
from models.kt.deep.base import DeepKTModel, KTNet


def sinusoid(max_len: int, d_model: int) -> torch.Tensor:
    pos = torch.arange(max_len).unsqueeze(1).float()
    div = torch.exp(torch.arange(0, d_model, 2).float() * -(math.log(10000.0) / d_model))
    table = torch.zeros(max_len, d_model)
    table[:, 0::2] = torch.sin(pos * div)
    table[:, 1::2] = torch.cos(pos * div)
    return table


class SimpleKTNet(KTNet):
    pos_table: torch.Tensor

    """Questions (+ positions) attend to past interactions (+ positions) in ``n_blocks`` layers;
    prediction from ``[h_t; x_t]``."""

    def __init__(
        self,
        n_skills: int,
        n_problems: int,
        d_model: int,
        n_blocks: int,
        n_heads: int,
        d_ff: int,
        final_fc_dim: int,
        dropout: float,
        l2: float,
        max_len: int,
    ) -> None:
        super().__init__()
        self.embed = RaschEmbedding(n_skills, n_problems, d_model, l2)
        self.register_buffer("pos_table", sinusoid(max_len + 1, d_model), persistent=False)
        self.blocks = nn.ModuleList(
            [
                TransformerLayer(d_model, n_heads, d_ff, dropout, kq_same=True)
                for _ in range(n_blocks)
            ]
        )
        self.out = output_mlp(2 * d_model, final_fc_dim, final_fc_dim, dropout)

    def regularization(self) -> torch.Tensor:
        return self.embed.penalty()

    def forward(
        self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor
    ) -> torch.Tensor:
        x, y = self.embed(skills, problems, correct)
        pos = torch.arange(skills.shape[1])
        h = x + self.pos_table[pos]
        y = y + self.pos_table[pos]
        for block in self.blocks:
            h = block(h, h, y, pos, pos, strict=True)
        return self.out(torch.cat([h, x], dim=-1)).squeeze(-1)

    def encode(self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor) -> Any:
        x, y = self.embed(skills, problems, correct)
        pos = torch.arange(skills.shape[1])
        h = x + self.pos_table[pos]
        y = y + self.pos_table[pos]
        inputs = []
        for block in self.blocks:
            inputs.append(h)
            h = block(h, h, y, pos, pos, strict=True)
        return inputs, y

    def query(self, cache: Any, skills: torch.Tensor, problems: torch.Tensor) -> torch.Tensor:
        inputs, y = cache
        n = y.shape[1]
        x = self.embed.questions(skills, problems).unsqueeze(0)
        q_pos = torch.full((skills.numel(),), n)
        h = x + self.pos_table[n]
        for block, hist in zip(self.blocks, inputs, strict=True):
            h = block(h, hist, y, q_pos, torch.arange(n), strict=True)
        return self.out(torch.cat([h, x], dim=-1)).view(-1)


class SimpleKT(DeepKTModel):
    """simpleKT: uses problem ids (Rasch variation) where the data has them."""

    name: ClassVar[str] = "simplekt"
    uses_problems: ClassVar[bool] = True

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        return {
            "d_model": 128,
            "n_blocks": 2,
            "n_heads": 8,
            "d_ff": 256,
            "final_fc_dim": 256,
            "dropout": 0.1,
            "l2": 1e-5,
        }

    def build_net(self) -> KTNet:
        return SimpleKTNet(
            self.n_skills_,
            self.n_problems_,
            self.d_model,
            self.n_blocks,
            self.n_heads,
            self.d_ff,
            self.final_fc_dim,
            self.dropout,
            self.l2,
            self.max_len,
        )
