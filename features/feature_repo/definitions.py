"""Feast declarations: entities → sources → feature views → feature services.

Offline sources are parquet feature tables built from the lake by the SQL in ``features/sql``
(``learnloop features materialize``); push sources take the streaming updates of the feature
consumer. :func:`build` returns every object for ``FeatureStore.apply``; ``feast`` users get the
same objects through the generated ``repo.py`` of the rendered repo.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from feast import Entity, FeatureService, FeatureView, Field, FileSource, PushSource, ValueType
from feast.types import Array, Float64, Int64, String

from features.feature_repo.names import (
    LEARNER_ACTIVITY_FEATURES,
    LEARNER_ACTIVITY_PUSH,
    OWNER,
    SKILL_MASTERY_PUSH,
)


def _source(offline_root: Path, table: str, description: str) -> FileSource:
    return FileSource(
        name=f"{table}_source",
        path=str(offline_root / table),
        timestamp_field="event_timestamp",
        description=description,
        owner=OWNER,
    )


def build(offline_root: Path) -> list[Any]:
    """Every Feast object of learnloop, with offline tables under ``offline_root``."""
    learner = Entity(
        name="learner",
        join_keys=["learner_id"],
        value_type=ValueType.STRING,
        description="A pseudonymous learner id (never a name or e-mail).",
        owner=OWNER,
    )
    item = Entity(
        name="item",
        join_keys=["item_id"],
        value_type=ValueType.STRING,
        description="A content item (problem, video, ...): LearningEvent.object.id.",
        owner=OWNER,
    )
    skill = Entity(
        name="skill",
        join_keys=["skill_id"],
        value_type=ValueType.STRING,
        description="A skill of the skill graph.",
        owner=OWNER,
    )
    activity_source = _source(
        offline_root, "learner_activity", "Per-event learner aggregates from the lake events."
    )
    activity_push = PushSource(
        name=LEARNER_ACTIVITY_PUSH,
        batch_source=activity_source,
        description="Streaming updates from the feature consumer.",
        owner=OWNER,
    )
    mastery_source = _source(
        offline_root, "skill_mastery", "Mastery estimates from ProgressUpdateEvents in the lake."
    )
    mastery_push = PushSource(
        name=SKILL_MASTERY_PUSH,
        batch_source=mastery_source,
        description="Streaming ProgressUpdateEvents from the feature consumer.",
        owner=OWNER,
    )
    item_source = _source(offline_root, "item_stats", "Daily item snapshots from the lake events.")
    learner_activity_fv = FeatureView(
        name="learner_activity_fv",
        entities=[learner],
        ttl=timedelta(days=3650),
        schema=[
            Field(name="event_count", dtype=Int64, description="Events so far."),
            Field(name="attempt_count", dtype=Int64, description="Graded attempts so far."),
            Field(name="correct_count", dtype=Int64, description="Correct attempts so far."),
            Field(name="accuracy", dtype=Float64, description="(correct+1)/(attempts+2)."),
            Field(name="attempt_count_7d", dtype=Int64, description="Attempts, last 7 days."),
            Field(name="correct_count_7d", dtype=Int64, description="Correct, last 7 days."),
            Field(name="accuracy_7d", dtype=Float64, description="Smoothed, last 7 days."),
            Field(name="last_event_unix", dtype=Int64, description="Recency: last event time."),
            Field(
                name="recent_items",
                dtype=Array(String),
                description="Catalog items of the latest 20 item events, oldest first.",
            ),
        ],
        source=activity_push,
        online=True,
        description="Learner activity windows: counts, accuracy, recency (UTC calendar days).",
        tags={"team": "data-platform", "stream": "LearningEventStream"},
        owner=OWNER,
    )
    skill_mastery_fv = FeatureView(
        name="skill_mastery_fv",
        entities=[learner, skill],
        ttl=timedelta(days=3650),
        schema=[
            Field(name="mastery", dtype=Float64, description="P(mastered), latest estimate."),
            Field(name="mastery_model_version", dtype=String, description="Estimating model."),
        ],
        source=mastery_push,
        online=True,
        description="Per-skill mastery from ProgressUpdateEvents.",
        tags={"team": "data-platform", "stream": "ProgressUpdateEvent"},
        owner=OWNER,
    )
    item_stats_fv = FeatureView(
        name="item_stats_fv",
        entities=[item],
        ttl=timedelta(days=3650),
        schema=[
            Field(name="item_attempt_count", dtype=Int64, description="Graded attempts so far."),
            Field(name="item_correct_rate", dtype=Float64, description="(correct+1)/(n+2)."),
            Field(name="item_difficulty", dtype=Float64, description="1 - item_correct_rate."),
            Field(name="popularity_7d", dtype=Int64, description="Events, last 7 days."),
        ],
        source=item_source,
        online=True,
        description="Item difficulty and popularity, daily snapshots (batch only).",
        tags={"team": "data-platform"},
        owner=OWNER,
    )
    learner_state = FeatureService(
        name="learner_state_v1",
        features=[learner_activity_fv, skill_mastery_fv],
        description="What knowledge tracing and progress read about a learner.",
        owner=OWNER,
    )
    # the training sets' numeric columns: recent_items is read by RES itself, at request time
    recommendation = FeatureService(
        name="recommendation_v1",
        features=[learner_activity_fv[list(LEARNER_ACTIVITY_FEATURES)], item_stats_fv],
        description="Learner and item features for ranking.",
        owner=OWNER,
    )
    return [
        learner,
        item,
        skill,
        activity_source,
        activity_push,
        mastery_source,
        mastery_push,
        item_source,
        learner_activity_fv,
        skill_mastery_fv,
        item_stats_fv,
        learner_state,
        recommendation,
    ]
