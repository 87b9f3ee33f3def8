"""simpleKT (Liu et al., ICLR 2023): Rasch embeddings + plain dot-product attention."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from models.kt.deep.attention import (
    AttnCache,
    RaschEmbedding,
    TransformerLayer,
    head_logits,
    head_question_part,
    layers,
    output_mlp,
)
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
        for block in layers(self.blocks):
            h = block(h, block.attn(h, h, y, pos, pos, strict=True))
        return self.out(torch.cat([h, x], dim=-1)).squeeze(-1)

    # Online cache: every block's projected keys (its input rows) and values (the positioned
    # interactions). Blocks are causal, so a new row leaves older rows' outputs unchanged; the
    # absolute positions are those of the state's window (``streaming = "rebase"``).
    def encode(self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor) -> Any:
        x, y = self.embed(skills, problems, correct)
        pos = torch.arange(skills.shape[1])
        h = x + self.pos_table[pos]
        y = y + self.pos_table[pos]
        kvs = []
        for block in layers(self.blocks):
            kvs.append((block.attn.keys(h), block.attn.values(y)))
            h = block(h, block.attn(h, h, y, pos, pos, strict=True))
        return AttnCache([], kvs)

    def append(self, cache: Any, skill: int, problem: int, correct: int, slide: bool) -> Any:
        n = cache.ret[0][0].shape[2]
        x, y = self.embed(
            torch.tensor([[skill]]), torch.tensor([[problem]]), torch.tensor([[float(correct)]])
        )
        h, y = x + self.pos_table[n], y + self.pos_table[n]
        q_pos, k_pos = torch.tensor([n]), torch.arange(n + 1)
        kvs = []
        last = len(self.blocks) - 1
        for i, (block, (k_old, v_old)) in enumerate(
            zip(layers(self.blocks), cache.ret, strict=True)
        ):
            k_new = block.attn.keys(h)
            kv = (torch.cat([k_old, k_new], 2), torch.cat([v_old, block.attn.values(y)], 2))
            kvs.append(kv)
            if i < last:
                h = block(h, block.attn.attend(h, *kv, q_pos, k_pos, strict=True, q=k_new))
        return AttnCache([], kvs)

    def _question_rows(
        self, skills: torch.Tensor, problems: torch.Tensor
    ) -> tuple[torch.Tensor, ...]:
        """Per candidate: question ``x``, the first block's query projection of ``x`` (no bias:
        the position's part is added per query) and the output head's part for ``x``."""
        x = self.embed.questions(skills, problems)
        first = layers(self.blocks)[0].attn.q_linear
        return x, F.linear(x, first.weight), head_question_part(self.out, x)

    def query(self, cache: Any, skills: torch.Tensor, problems: torch.Tensor) -> torch.Tensor:
        n = cache.ret[0][0].shape[2]
        rows = self.question_rows(skills, problems, self._question_rows, self.embed.n_skills)
        x, q_first, x_part = (t.unsqueeze(0) for t in rows)
        pos = self.pos_table[n]
        h = x + pos
        for i, (block, kv) in enumerate(zip(layers(self.blocks), cache.ret, strict=True)):
            attn = block.attn
            q = attn.split(q_first[0] + attn.q_linear(pos)) if i == 0 else attn.queries(h)
            h = block(h, attn.candidates(q, *kv))
        return head_logits(self.out, h, x_part).view(-1)


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
