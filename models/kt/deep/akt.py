"""AKT (Ghosh, Heffernan & Lan, KDD 2020): monotonic attention, Rasch question embeddings.

Uses problem ids where the data has them (AKT-R); skill-level otherwise (AKT-NR). Encoder:
interactions attend to interactions up to and including themselves; knowledge retriever:
questions attend to questions (including themselves), then to *past* encoded interactions.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
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
        final_fc_dim2: int = 256,
    ) -> None:
        super().__init__()
        self.embed = RaschEmbedding(n_skills, n_problems, d_model, l2)

        def layer() -> TransformerLayer:
            return TransformerLayer(d_model, n_heads, d_ff, dropout, kq_same=True, monotonic=True)

        self.encoder = nn.ModuleList([layer() for _ in range(n_blocks)])
        self.retriever = nn.ModuleList([layer() for _ in range(2 * n_blocks)])
        self.out = output_mlp(2 * d_model, final_fc_dim, final_fc_dim2, dropout)

    def regularization(self) -> torch.Tensor:
        return self.embed.penalty()

    def _run(
        self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor], list[torch.Tensor], torch.Tensor]:
        """Output, questions, the encoder's and the retriever's layer inputs, encoded y."""
        x, y = self.embed(skills, problems, correct)
        pos = torch.arange(skills.shape[1])
        enc_inputs = []
        for block in layers(self.encoder):
            enc_inputs.append(y)
            y = block(y, block.attn(y, y, y, pos, pos, strict=False))
        inputs = []
        h = x
        for i, block in enumerate(layers(self.retriever)):
            inputs.append(h)
            if i % 2 == 0:  # questions see questions, including the current one
                h = block(h, block.attn(h, h, h, pos, pos, strict=False), apply_ffn=False)
            else:  # ... then past responses only
                h = block(h, block.attn(h, h, y, pos, pos, strict=True))
        return h, x, enc_inputs, inputs, y

    def forward(
        self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor
    ) -> torch.Tensor:
        h, x, _, _, _ = self._run(skills, problems, correct)
        return self.out(torch.cat([h, x], dim=-1)).squeeze(-1)

    # Online cache: the projected keys/values of every layer's history rows. Every layer is
    # causal and AKT has no absolute positions (only distances), so a new row never changes
    # an older row's layer outputs: an update runs one row through the layers against the
    # cache, and the monotonic decay of the new query is computed exactly over its keys.
    def encode(self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor) -> Any:
        _, _, enc_inputs, inputs, y = self._run(skills, problems, correct)
        enc = [
            (b.attn.keys(i), b.attn.values(i))
            for b, i in zip(layers(self.encoder), enc_inputs, strict=True)
        ]
        ret = [
            (b.attn.keys(h), b.attn.values(h if i % 2 == 0 else y))
            for i, (b, h) in enumerate(zip(layers(self.retriever), inputs, strict=True))
        ]
        return AttnCache(enc, ret)

    def append(self, cache: Any, skill: int, problem: int, correct: int, slide: bool) -> Any:
        n = cache.ret[0][0].shape[2]
        x, y = self.embed(
            torch.tensor([[skill]]), torch.tensor([[problem]]), torch.tensor([[float(correct)]])
        )
        q_pos, k_pos = torch.tensor([n]), torch.arange(n + 1)
        enc = []
        for block, (k_old, v_old) in zip(layers(self.encoder), cache.enc, strict=True):
            k_new = block.attn.keys(y)
            kv = (torch.cat([k_old, k_new], 2), torch.cat([v_old, block.attn.values(y)], 2))
            enc.append(kv)
            y = block(y, block.attn.attend(y, *kv, q_pos, k_pos, strict=False, q=k_new))
        ret = []
        h = x
        last = len(self.retriever) - 1
        for i, (block, (k_old, v_old)) in enumerate(
            zip(layers(self.retriever), cache.ret, strict=True)
        ):
            k_new = block.attn.keys(h)
            v_new = block.attn.values(h if i % 2 == 0 else y)
            kv = (torch.cat([k_old, k_new], 2), torch.cat([v_old, v_new], 2))
            ret.append(kv)
            if i < last:  # the last layer's output of a history row is never read
                strict = i % 2 == 1
                out = block.attn.attend(h, *kv, q_pos, k_pos, strict=strict, q=k_new)
                h = block(h, out, apply_ffn=strict)
        return AttnCache(enc, ret)

    def _question_rows(
        self, skills: torch.Tensor, problems: torch.Tensor
    ) -> tuple[torch.Tensor, ...]:
        """Per candidate: question ``x``, the first retriever layer's projected key (= query)
        and value of ``x``, and the output head's part for ``x``."""
        x = self.embed.questions(skills, problems)
        first = layers(self.retriever)[0].attn
        return x, first.k_linear(x), first.v_linear(x), head_question_part(self.out, x)

    def query(self, cache: Any, skills: torch.Tensor, problems: torch.Tensor) -> torch.Tensor:
        rows = self.question_rows(skills, problems, self._question_rows, self.embed.n_skills)
        x, k_first, v_first, x_part = (t.unsqueeze(0) for t in rows)
        h = x
        for i, (block, kv) in enumerate(zip(layers(self.retriever), cache.ret, strict=True)):
            attn = block.attn
            if i % 2 == 0:  # the candidate's own question is one more visible key
                own = (
                    (attn.split(k_first[0]), attn.split(v_first[0]))
                    if i == 0
                    else (attn.keys(h), attn.values(h))
                )
                h = block(h, attn.candidates(own[0], kv[0], kv[1], own), apply_ffn=False)
            else:
                h = block(h, attn.candidates(attn.queries(h), *kv))
        return head_logits(self.out, h, x_part).view(-1)


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
            "final_fc_dim2": 256,
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
            self.final_fc_dim2,
        )
        for module in net.modules():
            if hasattr(module, "monotonic"):
                setattr(module, "use_compile", bool(self.compile))  # noqa: B010
        return net
