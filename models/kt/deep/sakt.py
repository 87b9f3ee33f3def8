"""SAKT (Pandey & Karypis, 2019): the next question attends to past interactions.

``residual="question"`` (the paper, pyKT) adds the attention output to the question embedding;
``residual="interaction"`` adds it to the last visible interaction (its embedding and position,
the start token before any row), as in the seewoo5/KT reproduction: the most recent answer gets
a direct path to the prediction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, cast

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from models.kt.deep.attention import TransformerLayer, layers
from models.kt.deep.base import DeepKTModel, KTNet

RESIDUALS = ("question", "interaction")


class SAKTNet(KTNet):
    """Keys/values: a start token then the interactions shifted by one, with learned positions;
    queries: question embeddings. Query ``t`` sees keys ``0..t`` = start + rows ``< t``."""

    streaming: ClassVar[str] = "slide"

    def __init__(
        self,
        n_skills: int,
        d_model: int,
        n_heads: int,
        n_blocks: int,
        dropout: float,
        max_len: int,
        residual: str = "question",
    ) -> None:
        super().__init__()
        if residual not in RESIDUALS:
            raise ValueError(f"residual must be one of {RESIDUALS}, got {residual!r}")
        self.n_skills = n_skills
        self.last_interaction = residual == "interaction"
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
        for i, block in enumerate(layers(self.blocks)):
            out = block.attn(h, kv, kv, q_pos, k_pos, strict=False)
            h = block(kv if i == 0 and self.last_interaction else h, out)
        return self.out(h).squeeze(-1)

    def forward(
        self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor
    ) -> torch.Tensor:
        kv = self._keys(skills, correct, with_last=False)
        return self._attend(self.question(skills), kv, torch.arange(skills.shape[1]))

    # Online cache: every block's key/value projections are linear, so ``W (e + p) + b`` is
    # split into a token part ``W e`` per history row (cached, appended once) and a position
    # part ``W p + b`` (a table per model): sliding the window only re-adds the positions.
    def _position_tables(self) -> list[tuple[torch.Tensor, ...]]:
        """Per block: start-token key/value parts and the position parts of every slot."""

        def build() -> list[tuple[torch.Tensor, ...]]:
            start = self.interaction.weight[:1]
            pos = self.position.weight
            return [
                (
                    F.linear(start, b.attn.k_linear.weight),
                    F.linear(start, b.attn.v_linear.weight),
                    b.attn.k_linear(pos),
                    b.attn.v_linear(pos),
                )
                for b in layers(self.blocks)
            ]

        return cast(list[tuple[torch.Tensor, ...]], self.online_table("positions", build))

    def _token_parts(self, tokens: torch.Tensor) -> SAKTCache:
        e = self.interaction(tokens)
        return SAKTCache(
            [F.linear(e, b.attn.k_linear.weight) for b in layers(self.blocks)],
            [F.linear(e, b.attn.v_linear.weight) for b in layers(self.blocks)],
            int(tokens[-1]) if tokens.numel() else 0,
        )

    def encode(self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor) -> Any:
        tokens = torch.where(skills > 0, skills + self.n_skills * correct.long(), 0)
        return self._token_parts(tokens[0])

    def append(self, cache: Any, skill: int, problem: int, correct: int, slide: bool) -> Any:
        new = self._token_parts(torch.tensor([skill + self.n_skills * correct]))
        start = 1 if slide else 0
        return SAKTCache(
            [torch.cat([old[start:], k]) for old, k in zip(cache.keys, new.keys, strict=True)],
            [torch.cat([old[start:], v]) for old, v in zip(cache.values, new.values, strict=True)],
            new.last_token,
        )

    def _question_rows(
        self, skills: torch.Tensor, problems: torch.Tensor
    ) -> tuple[torch.Tensor, ...]:
        """Per candidate: its question embedding and the first block's query projection."""
        h = self.question(skills)
        return h, layers(self.blocks)[0].attn.q_linear(h)

    def query(self, cache: Any, skills: torch.Tensor, problems: torch.Tensor) -> torch.Tensor:
        n = cache.keys[0].shape[0]
        rows = self.question_rows(
            skills, torch.zeros_like(skills), self._question_rows, self.n_skills
        )
        h, q_first = rows[0].unsqueeze(0), rows[1]
        tables = self._position_tables()
        for i, (block, k_rows, v_rows, (k0, v0, k_pos_part, v_pos_part)) in enumerate(
            zip(layers(self.blocks), cache.keys, cache.values, tables, strict=True)
        ):
            attn = block.attn
            k = attn.split(torch.cat([k0, k_rows]) + k_pos_part[: n + 1])
            v = attn.split(torch.cat([v0, v_rows]) + v_pos_part[: n + 1])
            q = attn.split(q_first) if i == 0 else attn.queries(h)
            out = attn.candidates(q, k, v)
            if i == 0 and self.last_interaction:  # the last visible key, at position n
                last = self.interaction.weight[cache.last_token] + self.position.weight[n]
                h = last.expand_as(h)
            h = block(h, out)
        return self.out(h).view(-1)


@dataclass(frozen=True)
class SAKTCache:
    """Per block: the token parts ``(n, d)`` of the history's keys and values; the last
    row's interaction token (0: the start token, no row yet)."""

    keys: list[torch.Tensor]
    values: list[torch.Tensor]
    last_token: int = 0


class SAKT(DeepKTModel):
    """Self-Attentive Knowledge Tracing (skill-level)."""

    name: ClassVar[str] = "sakt"

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        return {
            "d_model": 128,
            "n_heads": 8,
            "n_blocks": 1,
            "dropout": 0.2,
            "residual": "question",
        }

    def build_net(self) -> KTNet:
        return SAKTNet(
            self.n_skills_,
            self.d_model,
            self.n_heads,
            self.n_blocks,
            self.dropout,
            self.max_len,
            self.residual,
        )
