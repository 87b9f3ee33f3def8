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
# learner_activity_fv's list feature: the catalog items of the learner's latest RECENT_ITEMS item
# events, oldest first (RES's history when a request has none); features/sql/learner_activity.sql
# spells both constants out (its parity test with the streaming state fails if they diverge)
LEARNER_RECENT_ITEMS = "recent_items"
RECENT_ITEMS = 20
ITEM_OBJECT_TYPES = ("problem", "step", "exercise", "video", "text")
SKILL_MASTERY_FEATURES = ("mastery", "mastery_model_version")
FEATURE_TABLES = ("learner_activity", "item_stats", "skill_mastery")
