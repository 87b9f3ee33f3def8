"""MLflow pyfunc of a learnloop knowledge-tracing model (logged as "models from code").

Artifacts: ``model`` (a ``models.kt`` ``.npz`` file) and ``vocab`` (``vocab.json``: the lake's
skill / item ids in model-id order). Input: one row per question, with the learner's history
``history_skills`` (one skill per row; a multi-skill answer is consecutive rows),
``history_correct`` (0/1), optionally ``history_items``, and the next item's ``next_skills``
(optionally ``next_item``). Output: ``p_correct`` and ``mastery`` (mean over ``next_skills``).
Unknown learners, skills or items get the model's cold-start answers, never an error.

Serving can use ``loaded.unwrap_python_model().model`` / ``.vocab`` for the online state API.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow.models import set_model


class KTPyfunc(mlflow.pyfunc.PythonModel):  # type: ignore[name-defined]
    """P(correct) of a next question given a history, with string ids."""

    def load_context(self, context: Any) -> None:
        from models.kt import load_model
        from pipelines.kt_data import Vocabulary

        self.model = load_model(context.artifacts["model"])
        self.vocab = Vocabulary.load(Path(context.artifacts["vocab"]))

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        from models.kt import KTEvent

        rows = []
        for record in model_input.to_dict("records"):
            skills = self.vocab.skill_ids(_list(record.get("history_skills")))
            correct = [int(c) for c in _list(record.get("history_correct"))]
            if len(correct) != len(skills):
                raise ValueError(
                    f"history_correct has {len(correct)} values, "
                    f"history_skills has {len(skills)}: they must match"
                )
            items = self.vocab.item_ids(_list(record.get("history_items")) or [""] * len(skills))
            state = self.model.init_state()
            for skill, ok, item in zip(skills, correct, items, strict=True):
                state = self.model.update(
                    state, KTEvent((int(skill),), bool(ok), int(item) or None)
                )
            targets = [int(s) for s in self.vocab.skill_ids(_list(record.get("next_skills")))]
            item = record.get("next_item")
            problem = int(self.vocab.item_ids([item])[0]) or None if isinstance(item, str) else None
            p = self.model.predict_next(state, targets or [0], problem)
            mastery = self.model.mastery(state, targets or [0])
            rows.append(
                {"p_correct": float(p), "mastery": float(sum(mastery.values()) / len(mastery))}
            )
        return pd.DataFrame(rows, columns=["p_correct", "mastery"])


def _list(value: Any) -> list[Any]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return list(value)


set_model(KTPyfunc())
