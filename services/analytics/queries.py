"""Analytics reports as SQL over the lake, in the subset shared by Athena (Trino) and DuckDB.

Each report reads the tables ``events`` (``EVENTS_SCHEMA``) and/or ``progress``
(``PROGRESS_SCHEMA``). Locally :mod:`services.analytics.engine` runs them with DuckDB over
pyarrow datasets of the lake, with filters applied by shadowing those two tables; in
production :mod:`services.analytics.athena` creates the same SQL as Athena views.
"""

from __future__ import annotations

from dataclasses import dataclass

MASTERY_THRESHOLD = 0.95  # the skill_mastery_distribution "mastered" cut-off


@dataclass(frozen=True)
class Report:
    """One analytics report: its SQL, the key it is paged by and what it reads."""

    name: str
    description: str
    sql: str
    order_by: tuple[str, ...]
    reads_progress: bool = False


LEARNER_ACTIVITY = Report(
    "learner_activity",
    "Per learner: events, graded answers, accuracy, active days, time on task, first/last seen.",
    """
SELECT
    learner_id,
    count(*) AS events,
    CAST(sum(CASE WHEN correct IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS answers,
    avg(CASE WHEN correct IS NULL THEN NULL WHEN correct THEN 1.0 ELSE 0.0 END) AS accuracy,
    count(DISTINCT event_date) AS active_days,
    count(DISTINCT course_id) AS courses,
    sum(coalesce(duration_s, 0)) AS time_on_task_s,
    min("timestamp") AS first_seen,
    max("timestamp") AS last_seen
FROM events
GROUP BY learner_id
""",
    ("learner_id",),
)

COURSE_FUNNEL = Report(
    "course_funnel",
    "Per course: learners reaching each stage (viewed, started, answered, completed) and rates.",
    """
WITH stages AS (
    SELECT
        course_id,
        count(DISTINCT learner_id) AS learners,
        count(DISTINCT CASE WHEN verb = 'viewed' THEN learner_id END) AS viewed,
        count(DISTINCT CASE WHEN verb = 'started' THEN learner_id END) AS started,
        count(DISTINCT CASE WHEN verb IN ('attempted', 'answered') THEN learner_id END)
            AS answered,
        count(DISTINCT CASE WHEN verb IN ('completed', 'passed', 'mastered') THEN learner_id END)
            AS completed
    FROM events
    WHERE course_id IS NOT NULL
    GROUP BY course_id
)
SELECT
    course_id, learners, viewed, started, answered, completed,
    CAST(answered AS DOUBLE) / learners AS answered_rate,
    CAST(completed AS DOUBLE) / learners AS completion_rate
FROM stages
""",
    ("course_id",),
)

SKILL_MASTERY = Report(
    "skill_mastery_distribution",
    "Per skill: latest mastery of each learner, its mean, median, histogram and mastered share.",
    """
WITH ranked AS (
    SELECT
        learner_id, skill_id, mastery,
        row_number() OVER (
            PARTITION BY learner_id, skill_id ORDER BY "timestamp" DESC, event_id DESC
        ) AS rn
    FROM progress
)
SELECT
    skill_id,
    count(*) AS learners,
    avg(mastery) AS mean_mastery,
    approx_percentile(mastery, 0.5) AS median_mastery,
    CAST(sum(CASE WHEN mastery >= 0.95 THEN 1 ELSE 0 END) AS BIGINT) AS mastered,
    CAST(sum(CASE WHEN mastery < 0.2 THEN 1 ELSE 0 END) AS BIGINT) AS bin_00_20,
    CAST(sum(CASE WHEN mastery >= 0.2 AND mastery < 0.4 THEN 1 ELSE 0 END) AS BIGINT) AS bin_20_40,
    CAST(sum(CASE WHEN mastery >= 0.4 AND mastery < 0.6 THEN 1 ELSE 0 END) AS BIGINT) AS bin_40_60,
    CAST(sum(CASE WHEN mastery >= 0.6 AND mastery < 0.8 THEN 1 ELSE 0 END) AS BIGINT) AS bin_60_80,
    CAST(sum(CASE WHEN mastery >= 0.8 THEN 1 ELSE 0 END) AS BIGINT) AS bin_80_100
FROM ranked
WHERE rn = 1
GROUP BY skill_id
""",
    ("skill_id",),
    reads_progress=True,
)

ITEM_STATISTICS = Report(
    "item_statistics",
    "Per item (classical test theory): p-value, difficulty = 1 - p, and discrimination = "
    "point-biserial correlation of the item score with the learner's rest score.",
    """
WITH answers AS (
    SELECT learner_id, object_id AS item_id, CASE WHEN correct THEN 1.0 ELSE 0.0 END AS y
    FROM events
    WHERE correct IS NOT NULL
),
totals AS (
    SELECT learner_id, sum(y) AS s, count(*) AS n FROM answers GROUP BY learner_id
),
scored AS (
    SELECT a.item_id, a.learner_id, a.y, (t.s - a.y) / nullif(t.n - 1, 0) AS rest
    FROM answers AS a JOIN totals AS t ON t.learner_id = a.learner_id
)
SELECT
    item_id,
    count(*) AS answers,
    count(DISTINCT learner_id) AS learners,
    avg(y) AS p_correct,
    1.0 - avg(y) AS difficulty,
    corr(y, rest) AS discrimination
FROM scored
GROUP BY item_id
""",
    ("item_id",),
)

COHORT_RETENTION = Report(
    "cohort_retention",
    "Weekly cohorts (week of first event): share of the cohort active N weeks later.",
    """
WITH firsts AS (
    SELECT learner_id, min(CAST(event_date AS DATE)) AS first_day FROM events GROUP BY learner_id
),
cohorts AS (
    SELECT learner_id, first_day, CAST(date_trunc('week', first_day) AS DATE) AS cohort_week
    FROM firsts
),
sizes AS (
    SELECT cohort_week, count(*) AS cohort_size FROM cohorts GROUP BY cohort_week
),
active AS (
    SELECT DISTINCT
        c.cohort_week, e.learner_id,
        date_diff('week', c.first_day, CAST(e.event_date AS DATE)) AS weeks_since_first
    FROM events AS e JOIN cohorts AS c ON c.learner_id = e.learner_id
)
SELECT
    a.cohort_week,
    a.weeks_since_first,
    s.cohort_size,
    count(*) AS active_learners,
    CAST(count(*) AS DOUBLE) / s.cohort_size AS retention
FROM active AS a JOIN sizes AS s ON s.cohort_week = a.cohort_week
GROUP BY a.cohort_week, a.weeks_since_first, s.cohort_size
""",
    ("cohort_week", "weeks_since_first"),
)

REPORTS: dict[str, Report] = {
    r.name: r
    for r in (LEARNER_ACTIVITY, COURSE_FUNNEL, SKILL_MASTERY, ITEM_STATISTICS, COHORT_RETENTION)
}


class UnknownReportError(KeyError):
    """No report with this name; the message lists the known ones."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown report {name!r}; known: {', '.join(REPORTS)}")


def get_report(name: str) -> Report:
    """The report ``name`` or :class:`UnknownReportError`."""
    try:
        return REPORTS[name]
    except KeyError:
        raise UnknownReportError(name) from None
