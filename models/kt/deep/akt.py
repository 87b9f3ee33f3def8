"""AKT (Ghosh, Heffernan & Lan, KDD 2020): monotonic attention, Rasch question embeddings.

Uses problem ids where the data has them (AKT-R); skill-level otherwise (AKT-NR). Encoder:
interactions attend to interactions up to and including themselves; knowledge retriever:
questions attend to questions (including themselves), then to *past* encoded interactions.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from models.kt.deep.attention import RaschEmbedding, TransformerLayer, output_mlp
from models.kt.deep.base import DeepKTModel, KTNet


class AKTNet(KTNet):
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
    ) -> None:
        super().__init__()
        self.embed = RaschEmbedding(n_skills, n_problems, d_model, l2)

        def layer() -> TransformerLayer:
            return TransformerLayer(d_model, n_heads, d_ff, dropout, kq_same=True, monotonic=True)

        self.encoder = nn.ModuleList([layer() for _ in range(n_blocks)])
        self.retriever = nn.ModuleList([layer() for _ in range(2 * n_blocks)])
        self.out = output_mlp(2 * d_model, final_fc_dim, 256, dropout)

    def regularization(self) -> torch.Tensor:
        return self.embed.penalty()

    def _run(
        self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor], torch.Tensor]:
        x, y = self.embed(skills, problems, correct)
        pos = torch.arange(skills.shape[1])
        for block in self.encoder:
            y = block(y, y, y, pos, pos, strict=False)
        inputs = []
        h = x
        for i, block in enumerate(self.retriever):
            inputs.append(h)
            if i % 2 == 0:  # questions see questions, including the current one
                h = block(h, h, h, pos, pos, strict=False, apply_ffn=False)
            else:  # ... then past responses only
                h = block(h, h, y, pos, pos, strict=True)
        return h, x, inputs, y

    def forward(
        self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor
    ) -> torch.Tensor:
        h, x, _, _ = self._run(skills, problems, correct)
        return self.out(torch.cat([h, x], dim=-1)).squeeze(-1)

    def encode(self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor) -> Any:
        _, _, inputs, y = self._run(skills, problems, correct)
        return inputs, y

    def query(self, cache: Any, skills: torch.Tensor, problems: torch.Tensor) -> torch.Tensor:
        inputs, y = cache
        n = y.shape[1]
        x = self.embed.questions(skills, problems).unsqueeze(0)  # (1, C, d)
        q_pos = torch.full((x.shape[1],), n)
        k_pos = torch.arange(n)
        h = x
        for i, block in enumerate(self.retriever):
            hist = inputs[i]
            if i % 2 == 0:
                h = block(
                    h, hist, hist, q_pos, k_pos, strict=False, apply_ffn=False, self_kv=(h, h)
                )
            else:
                # keys are this layer's history inputs (the previous layer's outputs)
                h = block(h, hist, y, q_pos, k_pos, strict=True)
        return self.out(torch.cat([h, x], dim=-1)).view(-1)


class AKT(DeepKTModel):
    """Attentive Knowledge Tracing (AKT-R with problem ids, AKT-NR without)."""

    name: ClassVar[str] = "akt"
    uses_problems: ClassVar[bool] = True

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        return {
            "d_model": 256,
            "n_blocks": 1,
            "n_heads": 8,
            "d_ff": 1024,
            "final_fc_dim": 512,
            "dropout": 0.05,
            "l2": 1e-5,
            "compile": False,
        }

    def build_net(self) -> KTNet:
        """``compile=True`` compiles the training-time attention with torch.compile (about 3x
        faster on CPU after a one-off compilation of a minute or two)."""
        net = AKTNet(
            self.n_skills_,
            self.n_problems_,
            self.d_model,
            self.n_blocks,
            self.n_heads,
            self.d_ff,
            self.final_fc_dim,
            self.dropout,
            self.l2,
        )
        for module in net.modules():
            if hasattr(module, "monotonic"):
                setattr(module, "use_compile", bool(self.compile))  # noqa: B010
        return net
