"""Step ``validate``: the great-expectations events suite plus the training rules on the snapshot.

Checks: the ``features.validation`` events suite (schema, nulls, ranges, allowed values, unique
ids), the ingest step's file-level findings (missing columns, empty partitions, unreadable
files) and three training rules (answers carry an outcome and skills; no timestamps in the
future). A failure writes the report (Markdown + JSON) to ``<artifacts>/reports/validation/``,
raises :class:`~features.validation.DataValidationError` naming the failed checks and the report,
and stops the pipeline before anything is trained or registered.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from features.validation import (
    CheckResult,
    DataValidationError,
    ValidationReport,
    derive_columns,
    events_suite,
)
from features.validation.runner import run_suite
from pipelines.context import StepContext, StepResult

TRAINING_RULES = ("answer_has_outcome", "answer_has_skills", "not_in_future")


def training_rule_columns(df: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Derived True/False columns of the training rules."""
    out = df.copy()
    answered = out["verb"] == "answered"
    skills = out["skill_ids"].map(lambda s: s is not None and len(s) > 0)
    out["answer_has_outcome"] = ~answered | out["correct"].notna()
    out["answer_has_skills"] = ~answered | skills
    limit = pd.Timestamp(now + timedelta(days=1))
    out["not_in_future"] = pd.to_datetime(out["timestamp"], utc=True) <= limit
    return out


def validate_snapshot(df: pd.DataFrame, issues: list[str], *, now: datetime) -> ValidationReport:
    """Run every check on an events snapshot; returns the report (not raising)."""
    checked = training_rule_columns(derive_columns(df), now)
    derived = [c for c in checked.columns if c not in df.columns]
    suite = events_suite(derived=derived) + [
        ("ExpectColumnValuesToBeInSet", {"column": rule, "value_set": [True]})
        for rule in TRAINING_RULES
    ]
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    report = run_suite("events", checked, suite)
    report.checks.extend(CheckResult("lake_file_check", None, False, issue, []) for issue in issues)
    return report


def failure_message(report: ValidationReport, path: Path, shown: int = 4) -> str:
    """One readable line: how many checks failed, the first few, where the report is."""
    failures = report.failures
    parts = [f"{c.expectation}({c.column or ''}): {c.observed}" for c in failures[:shown]]
    more = f" (+{len(failures) - shown} more)" if len(failures) > shown else ""
    shown_text = "; ".join(parts)
    return f"data validation failed, {len(failures)} check(s): {shown_text}{more}; report: {path}"


def write_report(report: ValidationReport, folder: Path) -> Path:
    """Markdown + JSON report; returns the Markdown path."""
    return report.write(folder)


def run(ctx: StepContext) -> StepResult:
    """Validate the ingest snapshot; raise with a readable report if any check fails."""
    snapshot = ctx.input("ingest")
    df = pd.read_parquet(snapshot / "events.parquet")
    issues = json.loads((snapshot / "schema_issues.json").read_text())
    ctx.report(f"validating {len(df)} events")
    report = validate_snapshot(df, issues, now=datetime.now(UTC))
    path = write_report(report, ctx.reports_dir / "validation")
    if not report.success:
        raise DataValidationError(failure_message(report, path))
    write_report(report, ctx.out)
    return StepResult(
        metrics={"checks": len(report.checks), "rows": report.rows, "passed": True},
        summary=f"{len(report.checks)} checks passed on {report.rows} rows",
    )
