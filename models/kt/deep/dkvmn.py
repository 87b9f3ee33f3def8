"""DKVMN (Zhang et al., WWW 2017): a static key memory of concepts, a dynamic value memory.

Row ``t``: correlation weights ``w_t = softmax(k_t M_k^T)`` of the question embedding ``k_t``
over the ``memory_size`` key slots; read ``r_t = w_t M_v``; predict from
``tanh(W [r_t; k_t])``; then write the interaction: ``M_v <- M_v * (1 - w_t e_t) + w_t a_t``
with erase ``e_t = sigmoid(E v_t)`` and add ``a_t = tanh(D v_t)`` vectors of the
(skill, response) embedding ``v_t``. Skill-level (problem ids are not used).

Online the value memory is carried (``streaming = "carry"``): an update is one write, a query
one batched read for every candidate skill.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from models.kt.deep.base import DeepKTModel, KTNet


class DKVMNNet(KTNet):
    streaming: ClassVar[str] = "carry"

    def __init__(
        self, n_skills: int, d_model: int, memory_size: int, final_fc_dim: int, dropout: float
    ) -> None:
        super().__init__()
        self.n_skills = n_skills
        self.key_embed = nn.Embedding(n_skills + 1, d_model)
        self.value_embed = nn.Embedding(2 * n_skills + 1, d_model)  # skill s wrong: s, right: s+n
        self.key_memory = nn.Parameter(torch.empty(memory_size, d_model))
        self.value_memory = nn.Parameter(torch.empty(memory_size, d_model))  # initial M_v
        nn.init.kaiming_normal_(self.key_memory)
        nn.init.kaiming_normal_(self.value_memory)
        self.erase = nn.Linear(d_model, d_model)
        self.add = nn.Linear(d_model, d_model)
        self.summary = nn.Linear(2 * d_model, final_fc_dim)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(final_fc_dim, 1)

    def _weights(self, k: torch.Tensor) -> torch.Tensor:
        return torch.softmax(k @ self.key_memory.T, dim=-1)

    def _predict(self, read: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        f = torch.tanh(self.summary(torch.cat([read, k], dim=-1)))
        return self.out(self.dropout(f)).squeeze(-1)

    def _write_terms(
        self, skills: torch.Tensor, correct: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        tokens = torch.where(skills > 0, skills + self.n_skills * correct.long(), 0)
        v = self.value_embed(tokens)
        return torch.sigmoid(self.erase(v)), torch.tanh(self.add(v))

    @staticmethod
    def _write(
        memory: torch.Tensor, w: torch.Tensor, erase: torch.Tensor, add: torch.Tensor
    ) -> torch.Tensor:
        """``memory`` ``(B, N, D)``, ``w`` ``(B, N)``, ``erase``/``add`` ``(B, D)``."""
        w = w.unsqueeze(-1)
        return memory * (1 - w * erase.unsqueeze(1)) + w * add.unsqueeze(1)

    def _run(
        self, skills: torch.Tensor, correct: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Reads ``(B, L, D)`` before each row, question embeddings, the final memory."""
        k = self.key_embed(skills)
        w = self._weights(k)
        erase, add = self._write_terms(skills, correct)
        memory = self.value_memory.expand(skills.shape[0], -1, -1)
        reads = []
        for t in range(skills.shape[1]):  # the memory recursion is sequential
            reads.append(torch.bmm(w[:, t].unsqueeze(1), memory).squeeze(1))
            memory = self._write(memory, w[:, t], erase[:, t], add[:, t])
        read = torch.stack(reads, dim=1) if reads else k.new_zeros(k.shape)
        return read, k, memory

    def forward(
        self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor
    ) -> torch.Tensor:
        read, k, _ = self._run(skills, correct)
        return self._predict(read, k)

    def encode(self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor) -> Any:
        return MemoryCarry(self._run(skills, correct)[2])

    def append(self, cache: Any, skill: int, problem: int, correct: int, slide: bool) -> Any:
        s = torch.tensor([skill])
        erase, add = self._write_terms(s, torch.tensor([correct]))
        return MemoryCarry(self._write(cache.memory, self._weights(self.key_embed(s)), erase, add))

    def restore(self, carry: list[float]) -> Any:
        return MemoryCarry(
            torch.tensor(carry, dtype=torch.float32).view(1, *self.value_memory.shape)
        )

    def query(self, cache: Any, skills: torch.Tensor, problems: torch.Tensor) -> torch.Tensor:
        k = self.key_embed(skills)
        return self._predict(self._weights(k) @ cache.memory[0], k)


@dataclass(frozen=True)
class MemoryCarry:
    """The value memory ``(1, memory_size, d_model)`` after a history."""

    memory: torch.Tensor

    def to_list(self) -> list[float]:
        values: list[float] = self.memory.flatten().tolist()
        return values


class DKVMN(DeepKTModel):
    """Dynamic Key-Value Memory Network (skill-level)."""

    name: ClassVar[str] = "dkvmn"

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        return {"d_model": 64, "memory_size": 50, "final_fc_dim": 50, "dropout": 0.2}

    def build_net(self) -> KTNet:
        return DKVMNNet(
            self.n_skills_, self.d_model, self.memory_size, self.final_fc_dim, self.dropout
        )
