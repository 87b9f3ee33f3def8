"""``learnloop analytics``: run/export analytics reports over the lake; print Athena DDL."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import typer

from learnloop.console import CliError, console, wrapping_table
from learnloop.settings import get_settings

app = typer.Typer(
    help="Analytics reports over the lake (DuckDB) and Athena DDL.", no_args_is_help=True
)


@app.command("reports")
def reports() -> None:
    """List the analytics reports."""
    from services.analytics.queries import REPORTS

    table = wrapping_table("report", "description", title="analytics reports")
    for report in REPORTS.values():
        table.add_row(report.name, report.description)
    console.print(table)


@app.command("export")
def export(
    report: Annotated[str, typer.Argument(help="Report name (see `learnloop analytics reports`).")],
    out: Annotated[Path, typer.Option(help="Output file.")],
    fmt: Annotated[Literal["csv", "parquet"], typer.Option("--format")] = "csv",
    date_from: Annotated[str | None, typer.Option(help="First UTC day, YYYY-MM-DD.")] = None,
    date_to: Annotated[str | None, typer.Option(help="Last UTC day, YYYY-MM-DD.")] = None,
    course: Annotated[list[str] | None, typer.Option(help="Only these courses.")] = None,
) -> None:
    """Write a whole report as CSV or Parquet (for Tableau, Power BI, spreadsheets)."""
    from learnloop.resources import lake_from_settings
    from services.analytics.engine import AnalyticsEngine, AnalyticsFilter
    from services.analytics.queries import get_report

    try:
        filters = AnalyticsFilter(
            date.fromisoformat(date_from) if date_from else None,
            date.fromisoformat(date_to) if date_to else None,
            tuple(course or ()),
        )
    except ValueError as exc:
        raise CliError(f"bad date filter: {exc}") from None
    engine = AnalyticsEngine(lake_from_settings(get_settings()))
    payload = engine.export(get_report(report), fmt, filters)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(payload)
    console.print(f"wrote {out} ({len(payload)} bytes)")


@app.command("athena-ddl")
def athena_ddl(
    location: Annotated[str, typer.Argument(help="Lake root, e.g. s3://bucket/lake")],
    database: Annotated[str, typer.Option(help="Glue database.")] = "learnloop",
) -> None:
    """Print the Athena statements (database, Glue tables, report views) for the lake."""
    from services.analytics.athena import athena_ddl as statements

    for statement in statements(location, database):
        typer.echo(statement + ";\n")
