-- Mastery per (learner, skill) over time from ProgressUpdateEvents (Feast's skill_mastery_fv).
-- Athena (Trino) and DuckDB compatible. Input: the lake's `progress` table.
SELECT
    learner_id,
    skill_id,
    "timestamp" AS event_timestamp,
    mastery,
    model_name || '@' || model_version AS mastery_model_version
FROM progress
