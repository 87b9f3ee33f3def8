"""Step ``features``: the training set — graded answers with point-in-time features.

One row per ``(answer, skill)`` of the (optionally sampled: ``data.max_learners``) learners;
features of Feast's ``recommendation_v1`` service (learner
activity, item difficulty and popularity) as of just before the answer (entity timestamp =
answer time − 1 µs, so an answer never sees its own outcome). Learners are split into
train/valid/test by a seeded hash; the vocabularies come from the training split. The set is
checked with the great-expectations training-set suite (feature ranges, sequence order).

Outputs: ``training_set.parquet``, ``vocab.json``, ``feature_tables/`` (the offline tables the
join read), ``training_set.md``/``.json`` (validation report), ``summary.json``.
"""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from features.validation import DataValidationError, validate_training_set
from pipelines.context import StepContext, StepResult
from pipelines.kt_data import SPLITS, Vocabulary, assign_split
from pipelines.pit_join import answers_with_features
from pipelines.steps.ingest import sample_learners
from pipelines.steps.validate import failure_message

FEATURE_RANGES: dict[str, tuple[float | None, float | None]] = {
    "accuracy": (0.0, 1.0),
    "accuracy_7d": (0.0, 1.0),
    "item_correct_rate": (0.0, 1.0),
    "item_difficulty": (0.0, 1.0),
    "attempt_count": (0, None),
    "attempt_count_7d": (0, None),
    "item_attempt_count": (0, None),
    "popularity_7d": (0, None),
}


def run(ctx: StepContext) -> StepResult:
    """Build the training set from the validated snapshot."""
    data = ctx.params.data
    table = pq.read_table(ctx.input("ingest") / "events.parquet")
    table = sample_learners(table, data.max_learners, data.seed)
    training, features = answers_with_features(table, ctx.out / "feature_tables")
    if training.empty:
        raise DataValidationError("no graded answers (verb 'answered' with an outcome) to train on")
    ctx.report(f"{len(training)} answers with point-in-time features")
    training["split"] = assign_split(
        training["learner_id"], valid=data.valid_fraction, test=data.test_fraction, seed=data.seed
    )
    report = validate_training_set(
        training.drop(columns=["split"]),
        feature_ranges={k: v for k, v in FEATURE_RANGES.items() if k in features},
    )
    path = report.write(ctx.reports_dir / "validation")
    if not report.success:
        raise DataValidationError(failure_message(report, path))
    report.write(ctx.out)
    vocab = Vocabulary.build(training[training["split"] == "train"])
    vocab.save(ctx.out / "vocab.json")
    training.to_parquet(ctx.out / "training_set.parquet", index=False)
    sizes = {s: int((training["split"] == s).sum()) for s in SPLITS}
    learners = training.groupby("split")["learner_id"].nunique().to_dict()
    summary = {
        "rows": sizes,
        "learners": learners,
        "features": features,
        "n_skills": vocab.n_skills,
        "n_items": vocab.n_items,
    }
    (ctx.out / "summary.json").write_text(json.dumps(summary, indent=1))
    return StepResult(
        metrics={f"rows_{s}": n for s, n in sizes.items()}
        | {"n_skills": vocab.n_skills, "n_items": vocab.n_items},
        summary=f"{len(training)} rows ({sizes['train']} train), {vocab.n_skills} skills",
    )
