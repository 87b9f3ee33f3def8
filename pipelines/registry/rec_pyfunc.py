"""MLflow pyfunc of a learnloop recommender (logged as "models from code").

Artifact ``model``: a ``models.rec`` model folder. Input: ``history`` (item ids, oldest first)
and optionally ``k`` (default 10). Output: ``items`` and ``scores`` (best first), seen items
excluded; an empty or unknown history is a cold start (most popular items for popularity).
"""

from __future__ import annotations

import math
from typing import Any

import mlflow
import pandas as pd
from mlflow.models import set_model


class RecPyfunc(mlflow.pyfunc.PythonModel):  # type: ignore[name-defined]
    """Top-k next items for a history of item ids."""

    def load_context(self, context: Any) -> None:
        from models.rec import load_recommender

        self.model = load_recommender(context.artifacts["model"])

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        rows = []
        for record in model_input.to_dict("records"):
            history = [] if record.get("history") is None else list(record["history"])
            k = record.get("k")
            k = 10 if k is None or (isinstance(k, float) and math.isnan(k)) else int(k)
            recs = self.model.recommend(history, k)
            rows.append({"items": [str(r.item) for r in recs], "scores": [r.score for r in recs]})
        return pd.DataFrame(rows, columns=["items", "scores"])


set_model(RecPyfunc())
