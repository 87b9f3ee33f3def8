"""Names shared by the Feast declarations and the code that pushes / reads (no Feast import)."""

from __future__ import annotations

OWNER = "data-platform@learnloop"
LEARNER_ACTIVITY_PUSH = "learner_activity_push"
SKILL_MASTERY_PUSH = "skill_mastery_push"
LEARNER_ACTIVITY_FEATURES = (
    "event_count",
    "attempt_count",
    "correct_count",
    "accuracy",
    "attempt_count_7d",
    "correct_count_7d",
    "accuracy_7d",
    "last_event_unix",
)
ITEM_STATS_FEATURES = (
    "item_attempt_count",
    "item_correct_rate",
    "item_difficulty",
    "popularity_7d",
)
SKILL_MASTERY_FEATURES = ("mastery", "mastery_model_version")
FEATURE_TABLES = ("learner_activity", "item_stats", "skill_mastery")
