-- Learner activity as of each event (point-in-time rows for Feast's learner_activity_fv).
-- Athena (Trino) and DuckDB compatible. Input: the lake's `events` table.
-- Windows use UTC calendar days: "7d" = the event's day and the 6 days before it.
-- Counts are cumulative in (timestamp, event_id) order; the last row of a timestamp is kept.
-- recent_items: catalog items of the latest 20 item events (problem, step, exercise, video,
-- text; a step `<item>/<step>` counts for its item), oldest first; NULL before the first one.
WITH e AS (
    SELECT
        learner_id,
        event_id,
        "timestamp" AS ts,
        CASE
            WHEN object_type IN ('problem', 'step', 'exercise', 'video', 'text')
                THEN split_part(object_id, '/', 1)
        END AS item,
        date_diff('day', DATE '1970-01-01', CAST(event_date AS DATE)) AS dn,
        CASE WHEN correct IS NULL THEN 0 ELSE 1 END AS a,
        CASE WHEN correct THEN 1 ELSE 0 END AS c
    FROM events
),
daily AS (
    SELECT learner_id, dn, sum(a) AS a, sum(c) AS c
    FROM e
    GROUP BY learner_id, dn
),
before_window AS (
    SELECT
        learner_id,
        dn,
        coalesce(sum(a) OVER w, 0) AS a_old,
        coalesce(sum(c) OVER w, 0) AS c_old
    FROM daily
    WINDOW w AS (
        PARTITION BY learner_id ORDER BY dn RANGE BETWEEN UNBOUNDED PRECEDING AND 7 PRECEDING
    )
),
cumulative AS (
    SELECT
        e.learner_id,
        e.ts,
        e.dn,
        count(*) OVER cum AS event_count,
        sum(e.a) OVER cum AS attempt_count,
        sum(e.c) OVER cum AS correct_count,
        count(e.item) OVER cum AS item_n,
        row_number() OVER (PARTITION BY e.learner_id, e.ts ORDER BY e.event_id DESC) AS last_in_ts
    FROM e
    WINDOW cum AS (PARTITION BY e.learner_id ORDER BY e.ts, e.event_id ROWS UNBOUNDED PRECEDING)
),
recent AS (
    SELECT
        learner_id,
        row_number() OVER w AS item_n,
        array_agg(item) OVER (w ROWS BETWEEN 19 PRECEDING AND CURRENT ROW) AS recent_items
    FROM e
    WHERE item IS NOT NULL
    WINDOW w AS (PARTITION BY learner_id ORDER BY ts, event_id)
)
SELECT
    k.learner_id,
    k.ts AS event_timestamp,
    k.event_count,
    k.attempt_count,
    k.correct_count,
    (k.correct_count + 1.0) / (k.attempt_count + 2.0) AS accuracy,
    k.attempt_count - b.a_old AS attempt_count_7d,
    k.correct_count - b.c_old AS correct_count_7d,
    (k.correct_count - b.c_old + 1.0) / (k.attempt_count - b.a_old + 2.0) AS accuracy_7d,
    CAST(floor(to_unixtime(k.ts)) AS BIGINT) AS last_event_unix,
    r.recent_items
FROM cumulative AS k
JOIN before_window AS b ON b.learner_id = k.learner_id AND b.dn = k.dn
LEFT JOIN recent AS r ON r.learner_id = k.learner_id AND r.item_n = k.item_n
WHERE k.last_in_ts = 1
