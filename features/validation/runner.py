"""Run an expectation suite on a DataFrame with great-expectations and write a readable report.

A failed suite raises :class:`DataValidationError` from :meth:`ValidationReport.raise_for_failures`
— pipelines call it so that bad data blocks the next step. Reports are Markdown (for people) and
JSON (for machines).
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from features.validation.suites import Expectation


class DataValidationError(RuntimeError):
    """A suite failed; the message names each failed expectation and the report path."""


@dataclass(frozen=True)
class CheckResult:
    """One expectation's outcome."""

    expectation: str
    column: str | None
    success: bool
    observed: str
    unexpected_examples: list[str] = field(default_factory=list)


@dataclass
class ValidationReport:
    """Outcome of one suite on one data set."""

    suite: str
    rows: int
    checks: list[CheckResult]
    path: Path | None = None

    @property
    def success(self) -> bool:
        return all(c.success for c in self.checks)

    @property
    def failures(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.success]

    def markdown(self) -> str:
        """The report as a Markdown document."""
        status = "PASSED" if self.success else f"FAILED ({len(self.failures)} checks)"
        lines = [
            f"# Data validation: {self.suite}",
            "",
            f"**{status}** on {self.rows} rows.",
            "",
            "| result | expectation | column | observed | unexpected examples |",
            "|---|---|---|---|---|",
        ]
        for c in sorted(self.checks, key=lambda c: c.success):
            examples = ", ".join(c.unexpected_examples[:5]).replace("|", "\\|")
            lines.append(
                f"| {'ok' if c.success else '**FAIL**'} | {c.expectation} | {c.column or ''} "
                f"| {c.observed} | {examples} |"
            )
        return "\n".join(lines) + "\n"

    def write(self, folder: Path) -> Path:
        """Write ``<suite>.md`` and ``<suite>.json`` into ``folder``; returns the Markdown path."""
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{self.suite}.md"
        self.path.write_text(self.markdown())
        (folder / f"{self.suite}.json").write_text(
            json.dumps(
                {
                    "suite": self.suite,
                    "success": self.success,
                    "rows": self.rows,
                    "checks": [c.__dict__ for c in self.checks],
                },
                indent=2,
            )
        )
        return self.path

    def raise_for_failures(self) -> None:
        """Raise :class:`DataValidationError` if any check failed."""
        if not self.success:
            failed = "; ".join(f"{c.expectation}({c.column or ''})" for c in self.failures)
            where = f" (report: {self.path})" if self.path else ""
            raise DataValidationError(f"suite {self.suite} failed: {failed}{where}")


def derive_columns(
    df: pd.DataFrame,
    *,
    item_column: str | None = None,
    known_skills: Collection[str] | None = None,
) -> pd.DataFrame:
    """Add the derived check columns the suites refer to (works on events and training sets)."""
    out = df.copy()
    if "event_date" in out and "timestamp" in out:
        days = pd.to_datetime(out["timestamp"], utc=True).dt.strftime("%Y-%m-%d")
        out["event_date_matches"] = days == out["event_date"]
    if "learner_id" in out and "timestamp" in out:
        ts = pd.to_datetime(out["timestamp"], utc=True)
        previous = ts.groupby(out["learner_id"], sort=False).shift(1)
        out["timestamp_monotonic"] = previous.isna() | (ts >= previous)
    if known_skills is not None and "skill_ids" in out:
        allowed = set(known_skills)
        out["skill_refs_known"] = [
            all(s in allowed for s in (skills if skills is not None else []))
            for skills in out["skill_ids"]
        ]
    return out


def run_suite(name: str, df: pd.DataFrame, expectations: Sequence[Expectation]) -> ValidationReport:
    """Validate ``df`` against ``expectations`` with an ephemeral GX context."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (
        context.data_sources.add_pandas(f"{name}_source")
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe("all")
    )
    suite = context.suites.add(gx.ExpectationSuite(name=name))
    for kind, kwargs in expectations:
        suite.add_expectation(getattr(gx.expectations, kind)(**kwargs))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{name}_validation", data=batch, suite=suite)
    )
    result = definition.run(batch_parameters={"dataframe": df}, result_format="SUMMARY")
    checks = [_check(r) for r in result.results]
    return ValidationReport(name, len(df), checks)


def _check(result: Any) -> CheckResult:
    config = result.expectation_config
    details = result.result or {}
    if details.get("unexpected_count") is not None:
        percent = details.get("unexpected_percent") or 0.0
        observed = f"{details['unexpected_count']} unexpected ({percent:.2f}%)"
    else:
        observed = str(details.get("observed_value", ""))[:120]
    examples = [str(v)[:60] for v in details.get("partial_unexpected_list") or []]
    return CheckResult(
        expectation=type(config).__name__ if not hasattr(config, "type") else str(config.type),
        column=config.kwargs.get("column"),
        success=bool(result.success),
        observed=observed,
        unexpected_examples=examples,
    )
