"""``DeepKTModel``: the KT interface around a torch network (shared by DKT, SAKT, AKT, ...).

A network maps right-padded ``(B, L)`` skills, problems and responses to logits where
``logits[:, t]`` predicts row ``t`` from rows ``< t`` and the question of row ``t``.

Online, the state carries the network's cache of the learner's history (``KTNet.encode``);
:meth:`DeepKTModel.update` extends it by one row (``KTNet.append``: one LSTM step for DKT,
one new row of keys/values and attention for the attention models) and the queries (mastery
of every skill, next-item probability) are one batched step over it (``KTNet.query``).
How a history longer than the training chunks (``max_len - 1`` rows before the queried row)
is handled is the network's ``streaming`` policy:

* ``"carry"`` (DKT): the recurrent state carries the whole history; nothing is dropped.
* ``"slide"`` (SAKT): the last ``max_len - 1`` rows, exactly (keys are re-positioned cheaply).
* ``"rebase"`` (AKT, simpleKT): rows are appended until the window holds ``max_len - 1``;
  the next row starts a new window of the last ``max_len // 2`` rows (one full encode every
  ``max_len // 2 + ...`` updates, amortised). The window is a function of the history length
  only (:func:`window_rows`), so incremental updates and :meth:`state_from_history` agree.

In every case the cache equals a full re-encode of the state's rows (tested to 1e-5).

The mastery query sends one candidate row per skill through the layers: for the attention
models its cost is skills x heads x window rows scores plus the per-skill MLPs, so on a
many-skill dataset the size is chosen under the online latency budget (the benchmark's
``COMPACT_CANDIDATES`` above 500 skills: sizes that meet it, best on valid among them).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import torch
from torch import nn

from models.kt.base import (
    FloatArray,
    InteractionSequence,
    KTEvent,
    KTModel,
    KTState,
    ProgressCallback,
    SequenceLike,
    as_sequence,
    infer_sizes,
)
from models.kt.data import flatten, training_sequences
from models.kt.deep.batching import pack
from models.kt.deep.trainer import TrainConfig, TrainResult, default_threads, predict_packed, train
from models.kt.io import load_payload, save_payload

TRAIN_FIELDS = tuple(TrainConfig.__dataclass_fields__)
ONLINE_THREADS = 1  # a single request is a few small ops: more threads only add sync cost


class KTNet(nn.Module):
    """A network usable by :class:`DeepKTModel`."""

    streaming: ClassVar[str] = "rebase"  # "carry" | "slide" | "rebase" (module docstring)

    def __init__(self) -> None:
        super().__init__()
        self._online_tables: dict[str, Any] = {}
        self.register_load_state_dict_post_hook(lambda net, _: net._online_tables.clear())

    def train(self, mode: bool = True) -> Self:
        if mode:  # the parameters may change
            self._online_tables.clear()
        return super().train(mode)

    def online_table(self, name: str, build: Callable[[], Any]) -> Any:
        """``build()``, kept while in eval mode: constants of the online query computed once
        per loaded model (e.g. every skill's projected question); dropped by ``train(True)`` and
        ``load_state_dict``."""
        if self.training:
            return build()
        if name not in self._online_tables:
            with torch.no_grad():
                self._online_tables[name] = build()
        return self._online_tables[name]

    def question_rows(
        self,
        skills: torch.Tensor,
        problems: torch.Tensor,
        rows: Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, ...]],
        n_skills: int,
    ) -> tuple[torch.Tensor, ...]:
        """``rows(skills, problems)``: per-candidate tensors that depend on the question only;
        candidates without a problem id (mastery) read them from a table of all skills."""
        if bool(problems.any()):
            return rows(skills, problems)
        every = torch.arange(n_skills + 1)
        table = self.online_table("questions", lambda: rows(every, torch.zeros_like(every)))
        if skills.numel() == n_skills and torch.equal(skills, every[1:]):  # all: no copy
            return tuple(t[1:] for t in table)
        return tuple(t.index_select(0, skills) for t in table)

    @abstractmethod
    def forward(
        self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor
    ) -> torch.Tensor:
        """``(B, L)`` logits; row ``t`` sees rows ``< t`` and its own skill/problem."""

    def encode(self, skills: torch.Tensor, problems: torch.Tensor, correct: torch.Tensor) -> Any:
        """Cache for queries after a ``(1, n)`` history (default: the history itself)."""
        return (skills, problems, correct)

    def append(self, cache: Any, skill: int, problem: int, correct: int, slide: bool) -> Any:
        """The cache after one more row (``slide``: also drop the oldest row); ``None`` if
        unsupported (the caller re-encodes)."""
        return None

    def restore(self, carry: list[float]) -> Any:
        """A cache from its ``to_list()`` (``"carry"`` networks only)."""
        raise NotImplementedError

    def query(self, cache: Any, skills: torch.Tensor, problems: torch.Tensor) -> torch.Tensor:
        """Logits ``(C,)`` of ``C`` candidate next rows after the cached history.

        Default: one forward pass over ``C`` copies of history + candidate.
        """
        hs, hp, hc = cache
        c = skills.numel()
        s = torch.cat([hs.expand(c, -1), skills.view(c, 1)], dim=1)
        p = torch.cat([hp.expand(c, -1), problems.view(c, 1)], dim=1)
        r = torch.cat([hc.expand(c, -1), torch.zeros(c, 1)], dim=1)
        return self(s, p, r)[:, -1]


@dataclass
class DeepState(KTState):
    """The learner's recent rows (known skills only) and the network's cache of them."""

    skills: list[int] = field(default_factory=list)
    correct: list[int] = field(default_factory=list)
    problems: list[int] = field(default_factory=list)
    cache: Any = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        out = {"skills": self.skills, "correct": self.correct, "problems": self.problems}
        if hasattr(self.cache, "to_list"):  # a recurrent state: the rows alone do not rebuild it
            out["carry"] = self.cache.to_list()
        return out


def window_rows(n_rows: int, max_len: int, policy: str) -> int:
    """How many of a history's last ``n_rows`` (known) rows the online state holds."""
    capacity = max_len - 1
    if n_rows <= capacity or policy != "rebase":
        return min(n_rows, capacity)
    keep = max(1, max_len // 2)
    return keep + (n_rows - capacity - 1) % (capacity + 1 - keep)


class DeepKTModel(KTModel):
    """Base of the torch models: training, batch prediction, online state, persistence.

    Every subclass takes its architecture keywords plus the :class:`TrainConfig` fields
    (``lr``, ``batch_size``, ``max_epochs``, ``patience``, ``seed``, ``num_threads``,
    ``checkpoint_path``...) and ``max_len`` (window/chunk length, default 200).
    """

    name: ClassVar[str]
    uses_problems: ClassVar[bool] = False

    def __init__(self, **params: Any) -> None:
        defaults = self.default_params() | {f: getattr(TrainConfig(), f) for f in TRAIN_FIELDS}
        unknown = set(params) - set(defaults) - {"max_len"}
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {sorted(unknown)} for {self.name}; "
                f"allowed: {sorted(defaults)}"
            )
        self.max_len = int(params.pop("max_len", 200))
        for key, value in (defaults | params).items():
            setattr(self, key, value)

    def __getattr__(self, name: str) -> Any:
        """Hyper-parameters are set dynamically in ``__init__`` (typed as Any)."""
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    @classmethod
    @abstractmethod
    def default_params(cls) -> dict[str, Any]:
        """Architecture hyper-parameters and their defaults."""

    @abstractmethod
    def build_net(self) -> KTNet:
        """A fresh network for ``n_skills_`` / ``n_problems_``."""

    # ------------------------------------------------------------------ fitting
    def _train_config(self) -> TrainConfig:
        return TrainConfig(**{f: getattr(self, f) for f in TRAIN_FIELDS})

    def fit(
        self,
        train: Sequence[SequenceLike],
        valid: Sequence[SequenceLike] | None = None,
        *,
        n_skills: int | None = None,
        n_problems: int | None = None,
        progress: ProgressCallback | None = None,
    ) -> Self:
        """Train with early stopping on ``valid``.

        ``valid`` defaults to 10% of ``train``'s learners (at least one), or to ``train`` itself
        when it holds a single non-empty sequence.
        """
        train = training_sequences(train)
        if valid is None and len(train) == 1:
            valid = train
        elif valid is None:
            rng = np.random.default_rng(self.seed)
            order = rng.permutation(len(train))
            cut = max(1, len(train) // 10)
            valid = [train[i] for i in order[:cut]]
            train = [train[i] for i in order[cut:]]
        self.n_skills_, self.n_problems_ = infer_sizes(train, n_skills, n_problems)
        if not self.uses_problems:
            self.n_problems_ = 0
        self.base_rate_ = float(np.concatenate([s.correct for s in train]).mean())
        torch.manual_seed(self.seed)
        self.net_ = self.build_net()
        packed_train = pack(self._known(train), self.max_len, self.n_skills_, self.n_problems_)
        packed_valid = pack(self._known(valid), self.max_len, self.n_skills_, self.n_problems_)
        self.train_result_: TrainResult = train_fn(
            self.net_, packed_train, packed_valid, self._train_config(), progress
        )
        return self

    def _known(self, sequences: Sequence[SequenceLike]) -> list[InteractionSequence]:
        """Drop rows whose skill the model has no parameters for (cold start)."""
        out = []
        for raw in sequences:
            s = as_sequence(raw)
            keep = (s.skills >= 1) & (s.skills <= self.n_skills_)
            probs = None if s.problems is None else s.problems[keep]
            out.append(InteractionSequence(s.skills[keep], s.correct[keep], probs))
        return out

    # ------------------------------------------------------------------ batch prediction
    def predict_proba(self, sequences: Sequence[SequenceLike]) -> list[FloatArray]:
        self._check_fitted()
        self._threads()
        rows = flatten(sequences)
        known = (rows.skills >= 1) & (rows.skills <= self.n_skills_)
        seqs = self._known(sequences)
        packed = pack(seqs, self.max_len, self.n_skills_, self.n_problems_)
        probs = predict_packed(self.net_, packed, TrainConfig.eval_batch_size)
        # packed rows are chunks sorted by length; rebuild the chunk order to map back
        values = _unpack(probs, seqs, self.max_len)
        out = np.full(rows.skills.size, self.base_rate_)
        out[known] = values
        return rows.split(out)

    def _threads(self) -> None:
        torch.set_num_threads(self.num_threads or default_threads())

    # ------------------------------------------------------------------ online
    def init_state(self) -> DeepState:
        self._check_fitted()
        return DeepState()

    def update(self, state: KTState, event: KTEvent) -> DeepState:
        assert isinstance(state, DeepState)
        new = state
        for skill in event.skills:
            if 1 <= skill <= self.n_skills_:
                new = self._push(new, skill, int(event.correct), self._problem(event.problem))
        if new is state:  # only unknown skills: a copy without new rows
            new = replace(state, skills=list(state.skills))
        return new

    def _push(self, state: DeepState, skill: int, correct: int, problem: int) -> DeepState:
        """``state`` plus one known row: incremental when the network supports it."""
        policy = self.net_.streaming
        capacity = self.max_len - 1
        n = len(state.skills) + 1
        keep = capacity if policy != "rebase" else window_rows(n, self.max_len, policy)
        new = DeepState(
            [*state.skills, skill][-keep:],
            [*state.correct, correct][-keep:],
            [*state.problems, problem][-keep:],
        )
        rebased = policy == "rebase" and keep < n and n > capacity
        cache = None
        if not rebased:
            with self._online():
                if state.cache is None:
                    state.cache = self._encode(state)
                cache = self.net_.append(state.cache, skill, problem, correct, n > capacity)
        new.cache = self._encode(new) if cache is None else cache
        return new

    @contextmanager
    def _online(self) -> Iterator[None]:
        """Single-request inference: eval mode, no autograd, ``online_threads`` threads."""
        threads = torch.get_num_threads()
        if threads != ONLINE_THREADS:
            torch.set_num_threads(ONLINE_THREADS)
        try:
            with torch.inference_mode():
                yield
        finally:
            if threads != ONLINE_THREADS:
                torch.set_num_threads(threads)

    def _problem(self, problem: int | None) -> int:
        return problem if problem is not None and 1 <= problem <= self.n_problems_ else 0

    def _encode(self, state: DeepState) -> Any:
        return self._encode_rows(state.skills, state.problems, state.correct)

    def _encode_rows(self, skills: Any, problems: Any, correct: Any) -> Any:
        with self._online():
            self.net_.eval()
            s = torch.as_tensor(np.asarray(skills, dtype=np.int64)).view(1, -1)
            p = torch.as_tensor(np.asarray(problems, dtype=np.int64)).view(1, -1)
            c = torch.as_tensor(np.asarray(correct, dtype=np.float32)).view(1, -1)
            return self.net_.encode(s, p, c)

    def _query(
        self, state: DeepState, skills: Sequence[int] | torch.Tensor, problem: int | None
    ) -> np.ndarray:
        with self._online():
            if state.cache is None:
                state.cache = self._encode(state)
            s = skills if isinstance(skills, torch.Tensor) else torch.tensor(list(skills))
            p = torch.full_like(s, self._problem(problem))
            return torch.sigmoid(self.net_.query(state.cache, s, p)).double().numpy()

    def predict_next(
        self, state: KTState, skills: Sequence[int], problem: int | None = None
    ) -> float:
        assert isinstance(state, DeepState)
        known = [k for k in skills if 1 <= k <= self.n_skills_]
        values = list(self._query(state, known, problem)) if known else []
        values += [self.base_rate_] * (len(skills) - len(known))
        return float(np.mean(values)) if values else self.base_rate_

    def mastery(self, state: KTState, skills: Sequence[int] | None = None) -> dict[int, float]:
        assert isinstance(state, DeepState)
        if skills is None:  # every skill: no per-skill Python work
            every = torch.arange(1, self.n_skills_ + 1)
            values = self._query(state, every, None).tolist() if self.n_skills_ else []
            return dict(zip(every.tolist(), values, strict=True))
        wanted = [int(k) for k in skills]
        known = [k for k in wanted if 1 <= k <= self.n_skills_]
        result = dict.fromkeys(wanted, self.base_rate_)
        if known:
            result.update(zip(known, self._query(state, known, None).tolist(), strict=True))
        return result

    def state_from_dict(self, data: Mapping[str, Any]) -> DeepState:
        state = DeepState(
            [int(x) for x in data.get("skills", [])],
            [int(x) for x in data.get("correct", [])],
            [int(x) for x in data.get("problems", [])],
        )
        if data.get("carry") is not None and self.net_.streaming == "carry":
            with self._online():
                state.cache = self.net_.restore([float(x) for x in data["carry"]])
        return state

    def state_from_history(self, history: Any) -> KTState:
        """The same state as updating row by row, with one batched encode."""
        if not (hasattr(history, "skills") and hasattr(history, "correct")):
            return super().state_from_history(history)
        seq = self._known([history])[0]
        n = len(seq)
        probs = seq.problems if seq.problems is not None else np.zeros(n, np.int64)
        probs = np.array([self._problem(int(p)) for p in probs], dtype=np.int64)
        keep = window_rows(n, self.max_len, self.net_.streaming)
        state = DeepState(
            seq.skills[n - keep :].tolist(),
            seq.correct[n - keep :].astype(int).tolist(),
            probs[n - keep :].tolist(),
        )
        if self.net_.streaming == "carry":  # the recurrent state reads the whole history
            state.cache = self._encode_rows(seq.skills, probs, seq.correct)
        else:
            state.cache = self._encode(state)
        return state

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        self._check_fitted()
        meta = {
            "init": self.get_params() | {"max_len": self.max_len},
            "n_skills": self.n_skills_,
            "n_problems": self.n_problems_,
            "base_rate": self.base_rate_,
        }
        result = getattr(self, "train_result_", None)
        if result is not None:
            meta["train_result"] = asdict(result)
        arrays = {f"net.{k}": v.detach().cpu().numpy() for k, v in self.net_.state_dict().items()}
        return save_payload(path, self.name, meta, arrays)

    @classmethod
    def load(cls, path: str | Path) -> Self:
        _, meta, arrays = load_payload(path)
        model = cls(**meta["init"])
        model.n_skills_, model.n_problems_ = meta["n_skills"], meta["n_problems"]
        model.base_rate_ = meta["base_rate"]
        if "train_result" in meta:  # absent from files written before it was kept
            model.train_result_ = TrainResult(**meta["train_result"])
        model.net_ = model.build_net()
        state = {k[4:]: torch.from_numpy(v) for k, v in arrays.items() if k.startswith("net.")}
        model.net_.load_state_dict(state)
        model.net_.eval()
        return model


train_fn = train


def _unpack(probs: np.ndarray, seqs: list[InteractionSequence], max_len: int) -> np.ndarray:
    """Per-row values in sequence order from :func:`pack`'s length-sorted chunk rows."""
    lengths = []
    for s in seqs:
        n = len(s)
        lengths.extend([max_len] * (n // max_len) + ([n % max_len] if n % max_len else []))
    lengths_arr = np.array(lengths, dtype=np.int64)
    order = np.argsort(-lengths_arr, kind="stable")
    parts: list[np.ndarray] = [np.zeros(0)] * len(lengths)
    for row, i in enumerate(order):
        parts[i] = probs[row, : lengths_arr[i]]
    return np.concatenate(parts) if parts else np.zeros(0)
