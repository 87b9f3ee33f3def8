"""Run analytics reports with DuckDB over the lake: filters, caller scope, paging, export.

Filters and the caller's scope are applied by shadowing the ``events`` and ``progress``
tables with filtered common table expressions, so every report's SQL stays exactly what
Athena runs. All values are bound as parameters, never pasted into SQL.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from features.lake import Lake
from features.sql import connect
from services.analytics.queries import Report

ExportFormat = Literal["csv", "parquet"]

_SCOPED_TABLES = """
WITH events AS (
    SELECT * FROM events
    WHERE (CAST($date_from AS VARCHAR) IS NULL OR event_date >= CAST($date_from AS VARCHAR))
      AND (CAST($date_to AS VARCHAR) IS NULL OR event_date <= CAST($date_to AS VARCHAR))
      AND (NOT $restricted OR list_contains(CAST($courses AS VARCHAR[]), course_id))
      AND (CAST($learner AS VARCHAR) IS NULL OR learner_id = CAST($learner AS VARCHAR))
),
progress AS (
    SELECT * FROM progress
    WHERE (CAST($date_from AS VARCHAR) IS NULL OR event_date >= CAST($date_from AS VARCHAR))
      AND (CAST($date_to AS VARCHAR) IS NULL OR event_date <= CAST($date_to AS VARCHAR))
      AND (NOT $restricted OR learner_id IN (SELECT learner_id FROM events))
      AND (CAST($learner AS VARCHAR) IS NULL OR learner_id = CAST($learner AS VARCHAR))
)
"""


@dataclass(frozen=True)
class AnalyticsFilter:
    """Row filters chosen by the caller (all optional; dates are inclusive UTC days)."""

    date_from: date | None = None
    date_to: date | None = None
    course_ids: tuple[str, ...] = ()
    learner_id: str | None = None

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(
                f"date_from {self.date_from.isoformat()} is after date_to "
                f"{self.date_to.isoformat()}"
            )


@dataclass(frozen=True)
class Scope:
    """What the caller may see: every course (``courses=None``) or only these courses."""

    courses: frozenset[str] | None = None

    @classmethod
    def everything(cls) -> Scope:
        """No restriction (admins, data scientists)."""
        return cls(None)


@dataclass(frozen=True)
class Page:
    """One page of a report's rows and the total row count."""

    rows: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


def _params(filters: AnalyticsFilter, scope: Scope) -> dict[str, Any]:
    requested = set(filters.course_ids)
    courses: set[str]
    if scope.courses is None:
        restricted, courses = bool(requested), requested
    else:
        restricted = True
        courses = set(scope.courses & requested) if requested else set(scope.courses)
    return {
        "date_from": filters.date_from.isoformat() if filters.date_from else None,
        "date_to": filters.date_to.isoformat() if filters.date_to else None,
        "restricted": restricted,
        "courses": sorted(courses),
        "learner": filters.learner_id,
    }


class AnalyticsEngine:
    """Reports over one lake; a fresh DuckDB connection per call (thread-safe)."""

    def __init__(self, lake: Lake) -> None:
        self.lake = lake

    def _run(self, sql: str, params: dict[str, Any]) -> pa.Table:
        con = connect(self.lake)
        try:
            return con.sql(sql, params=params).to_arrow_table()
        finally:
            con.close()

    def table(
        self, report: Report, filters: AnalyticsFilter | None = None, scope: Scope | None = None
    ) -> pa.Table:
        """Every row of ``report`` (ordered by its key)."""
        params = _params(filters or AnalyticsFilter(), scope or Scope.everything())
        order = ", ".join(report.order_by)
        sql = f"{_SCOPED_TABLES} SELECT * FROM ({report.sql}) AS r ORDER BY {order}"  # noqa: S608
        return self._run(sql, params)

    def page(
        self,
        report: Report,
        filters: AnalyticsFilter | None = None,
        scope: Scope | None = None,
        *,
        limit: int = 100,
        offset: int = 0,
    ) -> Page:
        """Rows ``offset .. offset + limit`` of ``report`` and the total count."""
        if limit < 1 or offset < 0:
            raise ValueError(f"limit={limit} offset={offset}; allowed: limit >= 1, offset >= 0")
        params = _params(filters or AnalyticsFilter(), scope or Scope.everything())
        order = ", ".join(report.order_by)
        count = f"{_SCOPED_TABLES} SELECT count(*) AS n FROM ({report.sql}) AS r"  # noqa: S608
        total = self._run(count, params)
        rows = self._run(
            f"{_SCOPED_TABLES} SELECT * FROM ({report.sql}) AS r"  # noqa: S608
            f" ORDER BY {order} LIMIT $limit OFFSET $offset",
            {**params, "limit": limit, "offset": offset},
        )
        return Page(rows.to_pylist(), int(total.column("n")[0].as_py()), limit, offset)

    def export(
        self,
        report: Report,
        fmt: ExportFormat,
        filters: AnalyticsFilter | None = None,
        scope: Scope | None = None,
    ) -> bytes:
        """The whole report as CSV (header row, ISO timestamps) or Parquet bytes."""
        table = self.table(report, filters, scope)
        sink = io.BytesIO()
        if fmt == "csv":
            pa_csv.write_csv(table, sink)
        elif fmt == "parquet":
            pq.write_table(table, sink)
        else:
            raise ValueError(f"format {fmt!r} is invalid; allowed: csv, parquet")
        return sink.getvalue()
