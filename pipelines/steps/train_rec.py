"""Step ``train_rec``: fit every recommender candidate of ``params.rec.models``.

Sequences are the training learners' items in answer order, consecutive repeats collapsed (the
rows of one multi-skill answer are one item). ``transitions`` also gets the item → skill map.
Skipped, with a note, while ``models.rec`` (issue 5) is not installed.

Outputs: ``models/<name>/`` (``models.rec`` format: JSON + npz), ``candidates.json``.
"""

from __future__ import annotations

import importlib.util
import json
import time
from typing import Any

import pandas as pd

from pipelines.context import StepContext, StepResult, StepSkipped


def item_sequences(rows: pd.DataFrame) -> dict[str, list[str]]:
    """Per learner, the items in order with consecutive repeats collapsed."""
    items = rows[["learner_id", "item_id", "event_id"]].drop_duplicates("event_id")
    repeat = (items["learner_id"] == items["learner_id"].shift()) & (
        items["item_id"] == items["item_id"].shift()
    )
    items = items[~repeat]
    return {str(k): g.tolist() for k, g in items.groupby("learner_id", sort=False)["item_id"]}


def side_info(name: str, rows: pd.DataFrame) -> dict[str, Any]:
    """Extra ``fit`` arguments a model understands (``transitions``: item → skill)."""
    if name == "transitions":
        first = rows.drop_duplicates("item_id")
        return {"item_groups": dict(zip(first["item_id"], first["skill_id"], strict=True))}
    return {}


def run(ctx: StepContext) -> StepResult:
    """Fit the recommenders on the training split."""
    if importlib.util.find_spec("models.rec") is None:
        raise StepSkipped("models.rec is not available yet (issue 5); no recommender trained")
    from models.rec import make_recommender

    rows = pd.read_parquet(ctx.input("features") / "training_set.parquet")
    train = rows[rows["split"] == "train"]
    sequences = list(item_sequences(train).values())
    (ctx.out / "models").mkdir()
    candidates: dict[str, dict[str, Any]] = {}
    for name in ctx.params.rec.models:
        hyper = dict(ctx.params.rec.hyper.get(name, {}))
        started = time.perf_counter()
        try:
            model = make_recommender(name, **hyper)
        except (ImportError, ValueError) as exc:
            ctx.report(f"{name}: skipped ({exc})")
            candidates[name] = {"status": "skipped", "reason": str(exc)}
            continue
        model.fit(sequences, **side_info(name, train))
        model.save(ctx.out / "models" / name)
        seconds = time.perf_counter() - started
        ctx.report(f"{name}: fitted on {len(sequences)} learners in {seconds:.1f}s")
        candidates[name] = {
            "status": "trained",
            "params": model.get_params(),
            "fit_seconds": seconds,
            "n_items": model.n_items,
        }
    (ctx.out / "candidates.json").write_text(json.dumps(candidates, indent=1, default=str))
    trained = [k for k, v in candidates.items() if v["status"] == "trained"]
    if not trained:
        raise StepSkipped(f"no recommender could be trained: {candidates}")
    return StepResult(
        metrics={f"{k}_fit_seconds": candidates[k]["fit_seconds"] for k in trained},
        summary=f"{len(trained)} recommender(s) from {len(sequences)} learners",
    )
