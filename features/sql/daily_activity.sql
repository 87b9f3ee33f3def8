-- Analytics: activity per UTC day and verb. Athena (Trino) and DuckDB compatible.
SELECT
    event_date,
    verb,
    count(*) AS events,
    count(DISTINCT learner_id) AS learners,
    count(DISTINCT object_id) AS items,
    avg(CASE WHEN correct IS NULL THEN NULL WHEN correct THEN 1.0 ELSE 0.0 END) AS accuracy,
    approx_percentile(duration_s, 0.5) AS median_duration_s
FROM events
GROUP BY event_date, verb
ORDER BY event_date, verb
