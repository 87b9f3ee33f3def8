"""Log a challenger to MLflow: params, metrics (learning curves as metric steps), plots, reports,
the drift reference sample, and the model as a pyfunc with signature and input example."""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from learnloop.settings import Settings
from pipelines.registry.loading import KT_PYFUNC, REC_PYFUNC
from pipelines.registry.tracking import experiment_id

REFERENCE_FEATURES = "reference/features.parquet"
REFERENCE_PREDICTIONS = "reference/predictions.parquet"


@dataclass(frozen=True)
class LoggedModel:
    """A logged run and its model URI."""

    run_id: str
    model_uri: str


def _flat_metrics(prefix: str, values: dict[str, Any]) -> dict[str, float]:
    return {
        f"{prefix}{k}": float(v)
        for k, v in values.items()
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    }


def kt_signature() -> Any:
    """Input/output schema of the KT pyfunc (item columns optional)."""
    from mlflow.models import ModelSignature
    from mlflow.types.schema import Array, ColSpec, Schema

    inputs = Schema(
        [
            ColSpec(Array("string"), "history_skills"),
            ColSpec(Array("long"), "history_correct"),
            ColSpec(Array("string"), "next_skills"),
            ColSpec(Array("string"), "history_items", required=False),
            ColSpec("string", "next_item", required=False),
        ]
    )
    outputs = Schema([ColSpec("double", "p_correct"), ColSpec("double", "mastery")])
    return ModelSignature(inputs=inputs, outputs=outputs)


def kt_input_example(rows: pd.DataFrame, length: int = 5) -> pd.DataFrame:
    """A one-row example from the first learner's first answers."""
    first = rows[rows["learner_id"] == rows["learner_id"].iloc[0]].head(length + 1)
    history, target = first.iloc[:-1], first.iloc[-1]
    return pd.DataFrame(
        {
            "history_skills": [history["skill_id"].astype(str).tolist()],
            "history_correct": [history["correct"].astype(int).tolist()],
            "next_skills": [[str(target["skill_id"])]],
            "history_items": [history["item_id"].astype(str).tolist()],
            "next_item": [str(target["item_id"])],
        }
    )


def requirements(model_kind: str) -> list[str]:
    """pip requirements of the logged model (learnloop itself provides ``models``)."""
    import mlflow
    import numpy
    import pandas
    import scipy

    reqs = [
        f"mlflow=={mlflow.__version__}",
        f"numpy=={numpy.__version__}",
        f"pandas=={pandas.__version__}",
        f"scipy=={scipy.__version__}",
    ]
    if model_kind in {"dkt", "sakt", "akt", "simplekt"}:
        import torch

        reqs.append(f"torch=={torch.__version__.split('+')[0]}")
    return reqs


@contextmanager
def _challenger_run(
    settings: Settings,
    kind: str,
    section: dict[str, Any],
    tags: dict[str, str],
    params: dict[str, Any],
    hyper: dict[str, Any],
) -> Iterator[Any]:
    """A run for the challenger of ``section`` with its tags, params and every candidate's
    metrics (the challenger's also unprefixed)."""
    import mlflow

    selected = section["selected"]
    name = f"{kind} {selected}"
    with mlflow.start_run(experiment_id=experiment_id(settings), run_name=name) as run:
        mlflow.set_tags({**tags, "kind": kind, "model_kind": selected})
        hp = {f"hp.{k}": v for k, v in hyper.items()}
        mlflow.log_params({"model": selected, **params, **hp})
        metrics = _flat_metrics("", section["candidates"][selected])
        for candidate, values in section["candidates"].items():
            metrics |= _flat_metrics(f"{candidate}.", values)
        mlflow.log_metrics(metrics)
        yield run


def log_kt(
    settings: Settings,
    *,
    evaluation: dict[str, Any],
    folders: dict[str, Path],
    tags: dict[str, str],
    params: dict[str, Any],
) -> LoggedModel:
    """Log the KT challenger (and every candidate's metrics) as one run; returns its model URI."""
    import mlflow

    kt = evaluation["kt"]
    selected = kt["selected"]
    candidates = json.loads((folders["train_kt"] / "candidates.json").read_text())
    curves = json.loads((folders["train_kt"] / "curves.json").read_text())
    rows = pd.read_parquet(folders["features"] / "training_set.parquet")
    hyper = kt.get("selected_params", {})
    with _challenger_run(settings, "kt", kt, tags, params, hyper) as run:
        mlflow.log_metrics(_flat_metrics("sim_", kt.get("simulation") or {}))
        for name, points in curves.items():
            for step, point in enumerate(points, 1):
                mlflow.log_metrics(_flat_metrics(f"{name}.curve.", point), step=step)
        mlflow.log_artifacts(str(folders["evaluate"] / "plots"), "plots")
        mlflow.log_dict(evaluation, "evaluation.json")
        mlflow.log_dict(candidates, "candidates.json")
        for report in sorted(folders["validate"].glob("*.md")) + sorted(
            folders["features"].glob("*.md")
        ):
            mlflow.log_artifact(str(report), "validation")
        drift = settings.drift
        _log_reference(
            rows,
            folders["evaluate"] / "predictions.parquet",
            drift.reference_rows,
            drift.window_days,
            drift.min_rows,
        )
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(KT_PYFUNC),
            artifacts={
                "model": str(folders["train_kt"] / "models" / candidates[selected]["file"]),
                "vocab": str(folders["features"] / "vocab.json"),
            },
            signature=kt_signature(),
            input_example=kt_input_example(rows[rows["split"] == "test"]),
            pip_requirements=requirements(selected),
        )
    return LoggedModel(run.info.run_id, info.model_uri)


def reference_window(rows: pd.DataFrame, days: int, min_rows: int) -> pd.DataFrame:
    """The rows of the last ``days`` of ``rows`` (all of them if that leaves < ``min_rows``)."""
    if rows.empty:
        return rows
    recent = rows[rows["timestamp"] > rows["timestamp"].max() - pd.Timedelta(days=days)]
    return recent if len(recent) >= min_rows else rows


def _log_reference(rows: pd.DataFrame, predictions: Path, n: int, days: int, min_rows: int) -> None:
    """Drift reference: a seeded sample of the training rows (features) and the test
    predictions, both from the last ``days`` of the training data."""
    import mlflow

    train = reference_window(rows[rows["split"] == "train"], days, min_rows)
    sample = train.sample(n=min(n, len(train)), random_state=0) if len(train) else train
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sample.drop(columns=["split"]).to_parquet(folder / "features.parquet", index=False)
        tested = reference_window(pd.read_parquet(predictions), days, min_rows)
        tested.to_parquet(folder / "predictions.parquet", index=False)
        mlflow.log_artifacts(tmp, "reference")


def log_rec(
    settings: Settings,
    *,
    evaluation: dict[str, Any],
    folders: dict[str, Path],
    tags: dict[str, str],
    params: dict[str, Any],
) -> LoggedModel:
    """Log the recommender challenger as one run; returns its model URI."""
    import mlflow

    rec = evaluation["rec"]
    selected = rec["selected"]
    candidates = json.loads((folders["train_rec"] / "candidates.json").read_text())
    hyper = candidates[selected].get("params", {})
    with _challenger_run(settings, "rec", rec, tags, {"k": rec["k"], **params}, hyper) as run:
        example = pd.DataFrame({"history": [["item-a", "item-b"]], "k": [5]})
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(REC_PYFUNC),
            artifacts={"model": str(folders["train_rec"] / "models" / selected)},
            signature=rec_signature(),
            input_example=example,
            pip_requirements=requirements(selected),
        )
    return LoggedModel(run.info.run_id, info.model_uri)


def rec_signature() -> Any:
    """Input/output schema of the recommender pyfunc."""
    from mlflow.models import ModelSignature
    from mlflow.types.schema import Array, ColSpec, Schema

    return ModelSignature(
        inputs=Schema([ColSpec(Array("string"), "history"), ColSpec("long", "k", required=False)]),
        outputs=Schema([ColSpec(Array("string"), "items"), ColSpec(Array("double"), "scores")]),
    )
