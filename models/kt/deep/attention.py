"""Attention blocks shared by SAKT, simpleKT and AKT (no Python loops over time steps).

Queries and keys carry explicit positions, so the same layer runs a whole padded sequence
(``q_pos == k_pos == arange(L)``) or a batch of candidate next rows against a cached history
(all queries at position ``n``). ``strict`` masks keys at the query's own position (the
current response must not be seen); a query with no visible key outputs zeros.

``monotonic=True`` is AKT's context-aware monotonic attention (Ghosh et al., 2020): scores
are damped by ``exp(-softplus(gamma_h) * sqrt(d(t, tau)))`` with ``d`` the attention mass
between ``tau`` and ``t`` times ``|t - tau|``; otherwise plain scaled dot-product attention
(``torch.nn.functional.scaled_dot_product_attention``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn


@dataclass(frozen=True)
class AttnCache:
    """Online cache of a history: projected ``(1, H, n, d_k)`` keys and values per layer
    (``enc``: AKT's encoder; ``ret``: the layers the candidate questions go through)."""

    enc: list[tuple[torch.Tensor, torch.Tensor]]
    ret: list[tuple[torch.Tensor, torch.Tensor]]


def visible(q_pos: torch.Tensor, k_pos: torch.Tensor, strict: bool) -> torch.Tensor:
    """``(Lq, Lk)`` bool: key visible from query."""
    diff = k_pos.view(1, -1) - q_pos.view(-1, 1)
    return diff < 0 if strict else diff <= 0


NEG = -1e32  # AKT's fill value: finite, so fully masked rows give no NaN


def monotonic_scores(
    scores: torch.Tensor, mask: torch.Tensor, distance: torch.Tensor, gamma: torch.Tensor
) -> torch.Tensor:
    """AKT's distance-damped scores (``scores`` ``(B, H, Lq, Lk)``, ``gamma`` ``(H, 1, 1)``).

    Rows without a visible key get garbage here; callers zero their outputs.
    """
    with torch.no_grad():
        attn = torch.softmax(scores.masked_fill(~mask, NEG), dim=-1)
        after = 1.0 - attn.cumsum(-1)  # attention mass strictly after tau (rows sum to 1)
        dist = torch.sqrt(torch.clamp(after * distance, min=0.0))
    decay = torch.exp(dist * -F.softplus(gamma).unsqueeze(0)).clamp_min(1e-5)
    return scores * decay


def attend(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor,
    distance: torch.Tensor,
    gamma: torch.Tensor | None,
    drop: float,
    training: bool,
) -> torch.Tensor:
    """Attention weights ``(B, H, Lq, Lk)`` (explicit path: monotonic attention)."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if gamma is not None:
        scores = monotonic_scores(scores, mask, distance, gamma)
    attn = torch.softmax(scores.masked_fill(~mask, NEG), dim=-1)
    return F.dropout(attn, drop, training)


_compiled_attend = None


def compiled_attend() -> object:
    """``attend`` compiled with torch.compile (dynamic shapes), built once on first use."""
    global _compiled_attend  # noqa: PLW0603
    if _compiled_attend is None:
        _compiled_attend = torch.compile(attend, dynamic=True)
    return _compiled_attend


class MultiHeadAttention(nn.Module):
    """Multi-head attention; ``kq_same`` shares the key and query projections (AKT)."""

    def __init__(
        self, d_model: int, n_heads: int, dropout: float, *, kq_same: bool, monotonic: bool
    ) -> None:
        super().__init__()
        self.h, self.d_k = n_heads, d_model // n_heads
        self.k_linear = nn.Linear(d_model, d_model)
        self.q_linear = self.k_linear if kq_same else nn.Linear(d_model, d_model)
        self.v_linear = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.dropout = dropout
        self.monotonic = monotonic
        self.use_compile = False  # set by the model: torch.compile the training-time attention
        if monotonic:
            self.gammas = nn.Parameter(torch.empty(n_heads, 1, 1))
            nn.init.xavier_uniform_(self.gammas)
        for lin in (self.k_linear, self.v_linear, self.q_linear):
            nn.init.xavier_uniform_(lin.weight)
            nn.init.zeros_(lin.bias)
        nn.init.zeros_(self.out_proj.bias)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        return x.view(b, n, self.h, self.d_k).transpose(1, 2)

    def split(self, x: torch.Tensor) -> torch.Tensor:
        """``(n, d)`` rows of one sequence -> ``(1, H, n, d_k)``."""
        return self._split(x.unsqueeze(0))

    def keys(self, key: torch.Tensor) -> torch.Tensor:
        """Projected keys ``(B, H, L, d_k)`` (cacheable: depend on ``key`` only)."""
        return self._split(self.k_linear(key))

    def queries(self, query: torch.Tensor) -> torch.Tensor:
        """Projected queries ``(B, H, L, d_k)``."""
        return self._split(self.q_linear(query))

    def values(self, value: torch.Tensor) -> torch.Tensor:
        """Projected values ``(B, H, L, d_k)``."""
        return self._split(self.v_linear(value))

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        q_pos: torch.Tensor,
        k_pos: torch.Tensor,
        *,
        strict: bool,
    ) -> torch.Tensor:
        return self.attend(query, self.keys(key), self.values(value), q_pos, k_pos, strict=strict)

    def attend(
        self,
        query: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        q_pos: torch.Tensor,
        k_pos: torch.Tensor,
        *,
        strict: bool,
        q: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """:meth:`forward` with keys/values already projected (:meth:`keys`, :meth:`values`);
        ``q``: the projected queries if the caller has them."""
        if q is None:
            q = self.queries(query)
        mask = visible(q_pos, k_pos, strict)
        drop = self.dropout if self.training else 0.0
        any_visible = mask.any(-1).view(1, 1, -1, 1)
        if self.monotonic:
            distance = (q_pos.view(-1, 1) - k_pos.view(1, -1)).abs().to(q.dtype)
            fn = compiled_attend() if self.use_compile and self.training else attend
            attn = fn(q, k, v, mask, distance, self.gammas, drop, self.training)  # type: ignore[operator]
            out = attn @ v
        else:
            safe = mask | ~any_visible.view(-1, 1)  # fully masked rows: attend anything...
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=safe, dropout_p=drop)
        return self._merge(out * any_visible)  # ... then output zeros

    def _merge(self, out: torch.Tensor) -> torch.Tensor:
        """``(B, H, L, d_k)`` head outputs -> ``(B, L, d)`` after the output projection."""
        b, _, n, _ = out.shape
        return self.out_proj(out.transpose(1, 2).reshape(b, n, self.h * self.d_k))

    def candidates(
        self,
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        self_kv: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Inference: ``(1, C, d)`` outputs of ``C`` projected queries ``(1, H, C, d_k)``, all
        candidate next rows at position ``n`` that see all ``n`` keys, without masks.

        ``self_kv``: each query's own projected (key, value), one more visible key at distance
        0 (non-strict layers). With no visible key the output is zeros, as in :meth:`attend`.
        """
        if self.monotonic:
            out = self._monotonic_candidates(q, k, v, self_kv)
        elif self_kv is not None:
            raise ValueError("own keys of candidate rows need monotonic attention")
        elif k.shape[-2] == 0:
            out = torch.zeros_like(q)
        else:  # every key visible: no mask, so SDPA takes its fused kernel
            out = F.scaled_dot_product_attention(q, k, v)
        return self._merge(out)

    def _monotonic_candidates(
        self,
        q: torch.Tensor,
        k: torch.Tensor,
        v: torch.Tensor,
        self_kv: tuple[torch.Tensor, torch.Tensor] | None,
    ) -> torch.Tensor:
        """:func:`monotonic_scores` without masks (all keys visible), on chunks of queries that
        stay in cache, with in-place element-wise steps."""
        n = k.shape[-2]
        out = torch.empty_like(q)
        if n == 0 and self_kv is None:  # nothing visible: zeros, as in the masked path
            return out.zero_()
        distance = torch.arange(n, 0, -1, dtype=q.dtype)
        if self_kv is not None:
            distance = torch.cat([distance, distance.new_zeros(1)])
        neg_distance = -distance
        rate = -F.softplus(self.gammas).unsqueeze(0)  # (1, H, 1, 1)
        kt = k.transpose(-2, -1)
        rows = max(1, CANDIDATE_CHUNK // (self.h * (n + 1)))
        for lo in range(0, q.shape[2], rows):
            hi = lo + rows
            qc = q[:, :, lo:hi] * (1.0 / math.sqrt(self.d_k))
            scores = qc @ kt
            if self_kv is not None:
                own = (qc * self_kv[0][:, :, lo:hi]).sum(-1, keepdim=True)
                scores = torch.cat([scores, own], dim=-1)
            mass = torch.softmax(scores, dim=-1).cumsum_(-1)
            # sqrt(max(distance * (1 - cumulative mass), 0)) with 1 - mass first, as in
            # monotonic_scores (d - m * d loses precision where the mass is close to 1, and
            # the square root amplifies it)
            decay = mass.sub_(1.0).mul_(neg_distance)
            decay.clamp_min_(0.0).sqrt_().mul_(rate).exp_().clamp_min_(1e-5)
            attn = torch.softmax(scores.mul_(decay), dim=-1)
            res = attn[..., :n] @ v
            if self_kv is not None:
                res.addcmul_(attn[..., n:], self_kv[1][:, :, lo:hi])
            out[:, :, lo:hi] = res
        return out


# scores per chunk of :meth:`MultiHeadAttention._monotonic_candidates` (queries x heads x keys):
# large enough to amortise the per-op overhead, small enough to stay in the L2 cache
CANDIDATE_CHUNK = 128 * 8 * 200


class TransformerLayer(nn.Module):
    """Attention (``self.attn``) + residual + LayerNorm, then (optionally) a position-wise FFN
    block (``forward``)."""

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int,
        dropout: float,
        *,
        kq_same: bool = True,
        monotonic: bool = False,
    ) -> None:
        super().__init__()
        self.attn = MultiHeadAttention(
            d_model, n_heads, dropout, kq_same=kq_same, monotonic=monotonic
        )
        self.norm1 = nn.LayerNorm(d_model)
        self.ffn = nn.Sequential(
            nn.Linear(d_model, d_ff), nn.ReLU(), nn.Dropout(dropout), nn.Linear(d_ff, d_model)
        )
        self.norm2 = nn.LayerNorm(d_model)
        self.drop = nn.Dropout(dropout)

    def forward(self, query: torch.Tensor, x: torch.Tensor, apply_ffn: bool = True) -> torch.Tensor:
        """The layer's output from its input ``query`` and ``x = self.attn(...)``, the output
        of any of its attention paths (``forward``, ``attend`` on cached keys, ``candidates``)."""
        if not self.training:  # the same without the (identity) dropout modules' calls
            x = self.norm1(query + x)
            if apply_ffn:
                inner, outer = cast(nn.Linear, self.ffn[0]), cast(nn.Linear, self.ffn[3])
                x = self.norm2(outer(inner(x).relu_()).add_(x))
            return x
        x = self.norm1(query + self.drop(x))
        if apply_ffn:
            x = self.norm2(x + self.drop(self.ffn(x)))
        return x


def layers(modules: nn.ModuleList) -> list[TransformerLayer]:
    """A ``ModuleList`` of :class:`TransformerLayer` with its type (for the type checker)."""
    return [cast(TransformerLayer, m) for m in modules]


class RaschEmbedding(nn.Module):
    """Question and interaction embeddings with AKT's Rasch-model problem variation.

    ``x = c_s + mu_p * d_s`` and ``y = c_s + g_r + mu_p * (h_r + d_s)``, where ``mu_p`` is a
    scalar per problem (0 for unknown problems, L2-penalised) — without problem ids ``x = c_s``,
    ``y = c_s + g_r``.
    """

    def __init__(self, n_skills: int, n_problems: int, d_model: int, l2: float) -> None:
        super().__init__()
        self.n_skills, self.n_problems, self.l2 = n_skills, n_problems, l2
        self.q_embed = nn.Embedding(n_skills + 1, d_model)
        self.qa_embed = nn.Embedding(2, d_model)
        if n_problems > 0:
            self.difficulty = nn.Embedding(n_problems + 1, 1)
            nn.init.zeros_(self.difficulty.weight)
            self.q_diff = nn.Embedding(n_skills + 1, d_model)
            self.qa_diff = nn.Embedding(2, d_model)
        self._penalty = torch.zeros(())

    def forward(
        self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        r = correct.long()
        x = self.q_embed(skills)
        y = x + self.qa_embed(r)
        if self.n_problems > 0:
            mu = self.difficulty(problems)
            d = self.q_diff(skills)
            x = x + mu * d
            y = y + mu * (self.qa_diff(r) + d)
            self._penalty = (mu**2).mean() * self.l2
        return x, y

    def questions(self, skills: torch.Tensor, problems: torch.Tensor) -> torch.Tensor:
        x = self.q_embed(skills)
        if self.n_problems > 0:
            x = x + self.difficulty(problems) * self.q_diff(skills)
        return x

    def penalty(self) -> torch.Tensor:
        return self._penalty


def output_mlp(d_in: int, hidden: int, hidden2: int, dropout: float) -> nn.Sequential:
    """The prediction head of AKT/simpleKT: ``[h; x] -> hidden -> hidden2 -> 1``."""
    return nn.Sequential(
        nn.Linear(d_in, hidden),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden, hidden2),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(hidden2, 1),
    )


def head_question_part(mlp: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """What :func:`output_mlp`'s first layer adds for the question ``x`` (its bias included):
    fixed per question, so the online query precomputes it for every skill."""
    first = cast(nn.Linear, mlp[0])
    return F.linear(x, first.weight[:, -x.shape[-1] :], first.bias)


def head_logits(mlp: nn.Sequential, h: torch.Tensor, x_part: torch.Tensor) -> torch.Tensor:
    """``mlp(cat([h, x]))`` from ``x``'s :func:`head_question_part` (inference: no dropout)."""
    first, second, last = (cast(nn.Linear, mlp[i]) for i in (0, 3, 6))
    z = F.linear(h, first.weight[:, : h.shape[-1]]).add_(x_part).relu_()
    return F.linear(F.linear(z, second.weight, second.bias).relu_(), last.weight, last.bias)
