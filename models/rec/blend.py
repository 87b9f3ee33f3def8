"""Weighted blend of fitted recommenders, each row turned into probabilities first.

``logit`` models (SASRec) go through a softmax, ``nonnegative`` ones (transitions, kNN,
popularity) are divided by their row sum; the blend is ``sum_m w_m * p_m``. Weights are
chosen with :meth:`BlendRecommender.select_weights` on validation targets, never test ones.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Hashable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from models.rec.base import FloatArray, IntArray, ItemVocabulary, RecError, Recommender, read_meta
from models.rec.metrics import ndcg_at_k


class BlendRecommender(Recommender):
    """Blend of already fitted components.

    The blend's items are the union of the components' items (first component's order
    first); a component gives probability 0 to items it does not know.

    Parameters
    ----------
    components : mapping of str to Recommender
        Fitted models (``fit`` on the blend fits them too, with the same side information).
    weights : mapping of str to float, optional
        Default: equal weights.
    temperature : float
        Softmax temperature for ``logit`` components (default 1).
    """

    name: ClassVar[str] = "blend"

    def __init__(
        self,
        *,
        components: Mapping[str, Recommender],
        weights: Mapping[str, float] | None = None,
        temperature: float = 1.0,
    ) -> None:
        self.components = dict(components)
        self.weights = dict(weights) if weights else dict.fromkeys(self.components, 1.0)
        self.temperature = temperature
        if not self.components:
            raise RecError("a blend needs at least one component")
        if set(self.weights) != set(self.components):
            raise RecError(
                f"weights {sorted(self.weights)} must name the components {sorted(self.components)}"
            )
        fitted = [c for c in self.components.values() if hasattr(c, "vocabulary_")]
        if len(fitted) == len(self.components):
            self._adopt_vocabulary()

    def fit(self, sequences: Sequence[Sequence[Hashable]], **side_info: Any) -> Self:
        """Fit every component on the same data, then share their vocabulary."""
        for component in self.components.values():
            component.fit(sequences, **side_info)
        self._adopt_vocabulary()
        return self

    def _adopt_vocabulary(self) -> None:
        self.vocabulary_ = ItemVocabulary(
            i for c in self.components.values() for i in c.vocabulary_.items
        )
        self._columns = {
            name: self.vocabulary_.encode(c.vocabulary_.items)
            for name, c in self.components.items()
        }

    def _fit(self, sequences: list[IntArray], **side_info: Any) -> None:  # pragma: no cover
        raise NotImplementedError("BlendRecommender.fit fits the components directly")

    def component_probabilities(self, histories: list[IntArray]) -> dict[str, FloatArray]:
        """Each component's row-normalised probabilities over the blend's items."""
        items = self.vocabulary_.items
        out = {}
        for name, c in self.components.items():
            own = [c.vocabulary_.encode(self.vocabulary_.decode(h)) for h in histories]
            kind = getattr(c, "score_kind", "nonnegative")
            probs = _probabilities(c.score_encoded(own), kind, self.temperature)
            full = np.zeros((len(histories), len(items)), dtype=np.float32)
            full[:, self._columns[name]] = probs
            out[name] = full
        return out

    def _score(self, histories: list[IntArray]) -> FloatArray:
        probs = self.component_probabilities(histories)
        return sum(self.weights[name] * p for name, p in probs.items())  # type: ignore[return-value]

    def select_weights(
        self,
        histories: Sequence[Sequence[Hashable]],
        targets: Sequence[Hashable],
        grid: Iterable[float] = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0),
        *,
        k: int = 10,
        batch_size: int = 512,
    ) -> dict[str, float]:
        """Pick the weights (first component fixed at 1) maximising mean NDCG@k on validation.

        Seen items are excluded as at evaluation. Sets and returns :attr:`weights`.
        """
        keep = [i for i, t in enumerate(targets) if t in self.vocabulary_]
        names = list(self.components)
        combos = [
            dict(zip(names, (1.0, *rest), strict=True))
            for rest in itertools.product(list(grid), repeat=len(names) - 1)
        ]
        totals = np.zeros(len(combos))
        for start in range(0, len(keep), batch_size):
            rows = keep[start : start + batch_size]
            encoded = [self.vocabulary_.encode(histories[i]) for i in rows]
            target_idx = self.vocabulary_.encode([targets[i] for i in rows])
            probs = self.component_probabilities(encoded)
            for c, weights in enumerate(combos):
                total = np.zeros_like(probs[names[0]])
                for n, w in weights.items():
                    total += w * probs[n]
                for row, seen in zip(total, encoded, strict=True):
                    row[seen] = -np.inf
                totals[c] += float(ndcg_at_k(total, target_idx, k).sum())
        best = int(np.argmax(totals))
        best_weights = combos[best]
        self.validation_ndcg_ = float(totals[best] / max(len(keep), 1))
        self.weights = best_weights
        return dict(best_weights)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | Path) -> Path:
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        for name, component in self.components.items():
            component.save(folder / name)
        meta = {
            "format": "learnloop.recommender/1",
            "model": self.name,
            "params": {"weights": self.weights, "temperature": self.temperature},
            "components": {n: c.name for n, c in self.components.items()},
            "items": self.vocabulary_.items,
        }
        (folder / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, path: str | Path) -> Self:
        from models.rec.registry import load_recommender

        folder = Path(path)
        meta = read_meta(folder)
        components = {n: load_recommender(folder / n) for n in meta["components"]}
        return cls(components=components, **meta["params"])

    def _arrays(self) -> dict[str, np.ndarray]:  # pragma: no cover - save is overridden
        return {}

    def _restore(self, arrays: Mapping[str, np.ndarray], folder: Path) -> None:  # pragma: no cover
        return None

    def get_params(self) -> dict[str, Any]:
        return {"weights": self.weights, "temperature": self.temperature}


def _probabilities(scores: np.ndarray, kind: str, temperature: float) -> FloatArray:
    scores = scores.astype(np.float64)
    if kind == "logit":
        z = scores / temperature
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    clipped = np.maximum(scores, 0.0)
    sums = clipped.sum(axis=1, keepdims=True)
    return (clipped / np.where(sums > 0, sums, 1.0)).astype(np.float32)
