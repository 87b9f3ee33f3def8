-- Item difficulty and popularity, one snapshot per item and UTC day (Feast's item_stats_fv).
-- A snapshot is stamped at the start of the next day, so a lookup during day D sees day D-1:
-- no leakage of same-day outcomes. Athena (Trino) and DuckDB compatible.
WITH daily AS (
    SELECT
        object_id AS item_id,
        CAST(event_date AS DATE) AS d,
        date_diff('day', DATE '1970-01-01', CAST(event_date AS DATE)) AS dn,
        count(*) AS n,
        sum(CASE WHEN correct IS NULL THEN 0 ELSE 1 END) AS a,
        sum(CASE WHEN correct THEN 1 ELSE 0 END) AS c
    FROM events
    GROUP BY object_id, event_date
)
SELECT
    item_id,
    CAST(d AS TIMESTAMP) + INTERVAL '1' DAY AS event_timestamp,
    sum(a) OVER upto AS item_attempt_count,
    (sum(c) OVER upto + 1.0) / (sum(a) OVER upto + 2.0) AS item_correct_rate,
    1.0 - (sum(c) OVER upto + 1.0) / (sum(a) OVER upto + 2.0) AS item_difficulty,
    sum(n) OVER week AS popularity_7d
FROM daily
WINDOW
    upto AS (PARTITION BY item_id ORDER BY dn ROWS UNBOUNDED PRECEDING),
    week AS (PARTITION BY item_id ORDER BY dn RANGE BETWEEN 6 PRECEDING AND CURRENT ROW)
