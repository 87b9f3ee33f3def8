"""Read an experiment's exposures and metrics from the lake (DuckDB over the events dataset).

A learner enters the analysis at their first event in the experiment window whose
``context.experiments`` names the experiment; the variant logged there is theirs. Learners
logged under two variants are counted as conflicts and left out. Metrics (see
:mod:`pipelines.experiments.metrics`) are summed per learner and day from the first exposure
on; the same metrics over the ``pre_period_days`` before the start are the CUPED covariates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd

from features.lake import EVENTS_DATASET, EVENTS_SCHEMA, Lake
from pipelines.experiments.definitions import Experiment
from pipelines.experiments.metrics import METRICS

DAY_S = 86_400


@dataclass(frozen=True)
class ExperimentData:
    """What the analysis needs, one row per learner (``units``, ``pre``) or learner-day.

    Attributes
    ----------
    units : DataFrame
        ``learner_id, variant, first_exposure, exposure_day, platform, course, tenure``.
    daily : DataFrame
        ``learner_id, day`` and ``<metric>__num`` / ``<metric>__den`` sums from exposure on.
    pre : DataFrame
        ``learner_id`` and the same sums over the pre-period.
    conflicts : int
        Learners logged under more than one variant (excluded).
    start, end : datetime
        The analysed window.
    """

    units: pd.DataFrame
    daily: pd.DataFrame
    pre: pd.DataFrame
    conflicts: int
    start: datetime
    end: datetime

    @property
    def n_days(self) -> int:
        """Days from the start to the last day with data (at least 1)."""
        last = int(self.daily["day"].max()) if len(self.daily) else 0
        return max(last + 1, 1)


def _sums(metrics: list[str]) -> str:
    parts = []
    for name in metrics:
        spec = METRICS[name]
        parts.append(f"sum({spec.numerator}) AS {name}__num")
        parts.append(f"sum({spec.denominator or '1'}) AS {name}__den")
    return ",\n    ".join(parts)


def _common_tables(metrics: list[str]) -> str:
    """``WITH`` clause defining ``exposed``, ``pre`` and ``daily`` (parameters ``$...``)."""
    sums = _sums(metrics)  # built from the fixed METRICS table, never from user input
    return f"""
WITH tagged AS (
    SELECT learner_id, "timestamp" AS ts, verb, correct, duration_s, hints_used, course_id,
           json_extract_string(context, '$.platform') AS platform,
           json_extract_string(context, '/experiments/' || $experiment) AS variant
    FROM events
    WHERE "timestamp" >= $pre_start AND "timestamp" < $end
),
exposed AS (
    SELECT learner_id, min(ts) AS first_exposure, count(DISTINCT variant) AS n_variants,
           min(variant) AS variant, arg_min(platform, ts) AS platform,
           arg_min(course_id, ts) AS course
    FROM tagged
    WHERE variant IS NOT NULL AND ts >= $start
    GROUP BY learner_id
),
pre AS (
    SELECT learner_id, {sums}
    FROM tagged WHERE ts < $start GROUP BY learner_id
),
daily AS (
    SELECT t.learner_id,
           CAST(floor(epoch(t.ts - $start) / {DAY_S}) AS INTEGER) AS day, {sums}
    FROM tagged AS t JOIN exposed AS x ON x.learner_id = t.learner_id
    WHERE t.ts >= x.first_exposure AND x.n_variants = 1
    GROUP BY ALL
)
"""  # noqa: S608


def load_experiment_data(
    lake: Lake, experiment: Experiment, *, until: datetime | None = None
) -> ExperimentData:
    """Exposures and daily metric sums of ``experiment`` up to ``until`` (default: its end/now)."""
    import duckdb

    metrics = experiment.metrics
    start = experiment.start.astimezone(UTC)
    end = until or experiment.end or datetime.now(UTC)
    params = {
        "experiment": experiment.id,
        "start": start,
        "end": end.astimezone(UTC),
        "pre_start": start - timedelta(days=experiment.pre_period_days),
    }
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    files = lake.files(EVENTS_DATASET)
    events = lake.dataset(EVENTS_DATASET, EVENTS_SCHEMA) if files else EVENTS_SCHEMA.empty_table()
    con.register("events", events)
    base = _common_tables(metrics)
    exposed, daily, pre = (
        con.execute(base + tail, params).df()
        for tail in (
            "SELECT * FROM exposed",
            "SELECT * FROM daily ORDER BY learner_id, day",
            "SELECT * FROM pre",
        )
    )
    con.close()
    conflicts = int((exposed["n_variants"] > 1).sum())
    units = exposed[exposed["n_variants"] == 1].drop(columns="n_variants").copy()
    units["first_exposure"] = pd.to_datetime(units["first_exposure"], utc=True)
    elapsed = (units["first_exposure"] - pd.Timestamp(start)).dt.total_seconds()
    units["exposure_day"] = (elapsed // DAY_S).astype(int)
    units["tenure"] = (
        units["learner_id"].isin(set(pre["learner_id"])).map({True: "returning", False: "new"})
    )
    units["platform"] = units["platform"].fillna("unknown")
    units["course"] = units["course"].fillna("unknown")
    return ExperimentData(
        units=units.sort_values("learner_id").reset_index(drop=True),
        daily=daily,
        pre=pre,
        conflicts=conflicts,
        start=start,
        end=end,
    )
