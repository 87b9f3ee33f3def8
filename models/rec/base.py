"""The recommender interface shared by every candidate generator (scikit-learn conventions).

A model is fitted on learner sequences of item ids (any JSON-compatible hashable: ``str`` or
``int``), oldest first, and scores every known item for a history. Items the model never saw
in ``fit`` are ignored in histories and never recommended.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt

ItemId = Hashable
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float32]
FORMAT = "learnloop.recommender/1"


class RecError(ValueError):
    """Base of the recommender domain errors."""


class NotFittedError(RecError):
    """A model was used before ``fit`` or ``load``."""


@dataclass(frozen=True)
class Recommendation:
    """One recommended item with its model score (higher is better)."""

    item: ItemId
    score: float


class ItemVocabulary:
    """Bidirectional map between item ids and contiguous indices ``0..n-1``."""

    def __init__(self, items: Iterable[ItemId]) -> None:
        self.items: list[ItemId] = list(
            dict.fromkeys(i.item() if isinstance(i, np.generic) else i for i in items)
        )
        self._index = {item: i for i, item in enumerate(self.items)}

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, item: object) -> bool:
        return item in self._index

    def encode(self, sequence: Iterable[ItemId]) -> IntArray:
        """Indices of the known items of ``sequence`` (unknown ones dropped), in order."""
        index = self._index
        return np.fromiter((index[i] for i in sequence if i in index), dtype=np.int64)

    def decode(self, indices: Iterable[int]) -> list[ItemId]:
        """Item ids of ``indices``."""
        return [self.items[int(i)] for i in indices]


class Recommender(ABC):
    """Abstract next-item recommender.

    Subclasses implement :meth:`_fit` on encoded sequences and :meth:`_score` (a
    ``(n_histories, n_items)`` score matrix); persistence goes through :meth:`_arrays` /
    :meth:`_restore` (numpy arrays, no pickle).
    """

    name: ClassVar[str]
    vocabulary_: ItemVocabulary

    # ------------------------------------------------------------------ public API
    def fit(self, sequences: Sequence[Sequence[ItemId]], **side_info: Any) -> Self:
        """Learn from learner sequences (oldest item first). Returns ``self``."""
        sequences = [list(s) for s in sequences]
        if not any(sequences):
            raise RecError("fit needs at least one non-empty sequence")
        self.vocabulary_ = ItemVocabulary(i for s in sequences for i in s)
        encoded = [self.vocabulary_.encode(s) for s in sequences]
        self._fit(encoded, **side_info)
        return self

    @property
    def n_items(self) -> int:
        """Number of items the model can recommend."""
        self._check_fitted()
        return len(self.vocabulary_)

    def score(self, histories: Sequence[Sequence[ItemId]]) -> FloatArray:
        """Scores of every item (columns follow ``vocabulary_.items``) for each history."""
        self._check_fitted()
        return self.score_encoded([self.vocabulary_.encode(h) for h in histories])

    def score_encoded(self, histories: Sequence[IntArray]) -> FloatArray:
        """Like :meth:`score` for already encoded histories (benchmarks, blends)."""
        self._check_fitted()
        return np.asarray(self._score(list(histories)), dtype=np.float32)

    def recommend(
        self,
        history: Sequence[ItemId],
        k: int = 10,
        *,
        exclude_seen: bool = True,
        candidates: Iterable[ItemId] | None = None,
    ) -> list[Recommendation]:
        """Top ``k`` items for one history, best first.

        Parameters
        ----------
        history : sequence of item ids
            The learner's items, oldest first; unknown ids are ignored (cold start: empty).
        k : int
            How many to return (fewer if fewer items qualify).
        exclude_seen : bool
            Drop items already in ``history``.
        candidates : iterable of item ids, optional
            Restrict to these items (e.g. those a policy allows); unknown ids are skipped.
        """
        return self.recommend_batch([history], k, exclude_seen=exclude_seen, candidates=candidates)[
            0
        ]

    def recommend_batch(
        self,
        histories: Sequence[Sequence[ItemId]],
        k: int = 10,
        *,
        exclude_seen: bool = True,
        candidates: Iterable[ItemId] | None = None,
    ) -> list[list[Recommendation]]:
        """:meth:`recommend` for several histories at once."""
        if k < 1:
            raise RecError(f"k must be >= 1, got {k}")
        self._check_fitted()
        encoded = [self.vocabulary_.encode(h) for h in histories] if histories else []
        scores = self.score_encoded(encoded) if encoded else np.zeros((0, self.n_items))
        allowed = None
        if candidates is not None:
            allowed = np.zeros(self.n_items, dtype=bool)
            allowed[self.vocabulary_.encode(candidates)] = True
        out = []
        for raw, seen in zip(scores, encoded, strict=True):
            row = raw.astype(np.float64)
            if exclude_seen:
                row[seen] = -np.inf
            if allowed is not None:
                row[~allowed] = -np.inf
            top = top_k(row, k)
            out.append([Recommendation(self.vocabulary_.items[i], float(row[i])) for i in top])
        return out

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        """Write the fitted model to folder ``path`` (``meta.json`` + ``arrays.npz``)."""
        self._check_fitted()
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": FORMAT,
            "model": self.name,
            "params": self.get_params(),
            "items": self.vocabulary_.items,
        }
        (folder / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        np.savez_compressed(folder / "arrays.npz", **self._arrays())  # type: ignore[arg-type]
        self._save_extra(folder)
        return folder

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a model written by :meth:`save`."""
        folder = Path(path)
        meta = read_meta(folder)
        if meta["model"] != cls.name:
            raise RecError(f"{folder} holds a {meta['model']!r} model, not {cls.name!r}")
        model = cls(**meta["params"])
        model.vocabulary_ = ItemVocabulary(meta["items"])
        with np.load(folder / "arrays.npz", allow_pickle=False) as arrays:
            model._restore({k: arrays[k] for k in arrays.files}, folder)
        return model

    def get_params(self) -> dict[str, Any]:
        """Hyper-parameters as given to ``__init__``."""
        return {k: v for k, v in vars(self).items() if not (k.endswith("_") or k.startswith("_"))}

    # ------------------------------------------------------------------ for subclasses
    @abstractmethod
    def _fit(self, sequences: list[IntArray], **side_info: Any) -> None: ...

    @abstractmethod
    def _score(self, histories: list[IntArray]) -> npt.NDArray[np.floating[Any]]: ...

    @abstractmethod
    def _arrays(self) -> dict[str, np.ndarray]: ...

    @abstractmethod
    def _restore(self, arrays: Mapping[str, np.ndarray], folder: Path) -> None: ...

    def _save_extra(self, folder: Path) -> None:  # noqa: B027 - optional hook
        """Write files beyond ``arrays.npz`` (torch weights)."""

    def _check_fitted(self) -> None:
        if not hasattr(self, "vocabulary_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit() or load()")


def read_meta(folder: Path) -> dict[str, Any]:
    """The ``meta.json`` of a saved model; a clear error when it is not one."""
    meta_path = folder / "meta.json"
    if not meta_path.is_file():
        raise RecError(f"{folder} is not a saved recommender (no meta.json)")
    meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT:
        raise RecError(f"{meta_path}: format {meta.get('format')!r} is not {FORMAT!r}")
    return meta


def top_k(scores: npt.NDArray[np.floating[Any]], k: int) -> IntArray:
    """Indices of the ``k`` largest finite scores, best first (ties by lower index)."""
    finite = np.flatnonzero(np.isfinite(scores))
    if finite.size <= k:
        chosen = finite
    else:
        part = np.argpartition(-scores[finite], k - 1)[:k]
        chosen = finite[part]
    order = np.lexsort((chosen, -scores[chosen]))
    return np.asarray(chosen[order], dtype=np.int64)


def interaction_matrix(sequences: Sequence[IntArray], n_items: int) -> Any:
    """Binary learner × item CSR matrix."""
    import scipy.sparse as sp

    empty = np.zeros(0, dtype=np.int64)
    rows = np.concatenate([np.full(len(s), u) for u, s in enumerate(sequences)] or [empty])
    cols = np.concatenate(list(sequences) or [empty])
    matrix = sp.csr_matrix(
        (np.ones(len(cols), dtype=np.float32), (rows, cols)), shape=(len(sequences), n_items)
    )
    matrix.data[:] = 1.0
    return matrix
