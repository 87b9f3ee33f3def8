"""``learnloop drift``: check the KT champion for feature, prediction and concept drift."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from learnloop.console import console, wrapping_table
from learnloop.settings import get_settings

app = typer.Typer(help="Drift monitoring of the champion model.", no_args_is_help=True)


@app.command("check")
def check(
    end: Annotated[
        datetime | None, typer.Option(help="Window end, UTC (default: the latest lake event).")
    ] = None,
    start: Annotated[
        datetime | None, typer.Option(help="Earliest window time, UTC (default: window_days).")
    ] = None,
    retrain: Annotated[
        bool, typer.Option("--retrain", help="On a breach, trigger retraining too.")
    ] = False,
    fail_on_drift: Annotated[
        bool,
        typer.Option(
            help="Exit with code 3 when drift is detected (scheduled jobs turn this off: "
            "drift is a finding reported through metrics, not a failed job)."
        ),
    ] = True,
) -> None:
    """Compare a recent lake window with the champion's training reference; write the HTML
    report, export the gauges, log the check in MLflow. Exit code 3 when drift is detected
    (unless ``--no-fail-on-drift``)."""
    from pipelines.drift.monitor import check_drift
    from pipelines.drift.trigger import check_and_trigger, log_check

    settings = get_settings()
    when = end.replace(tzinfo=UTC) if end and end.tzinfo is None else end
    since = start.replace(tzinfo=UTC) if start and start.tzinfo is None else start
    with console.status("checking drift (MLflow and Feast load in ~30 s)"):
        if retrain:
            outcome = check_and_trigger(settings, end=when, start=since, report=console.print)
            result = outcome.drift
        else:
            result = check_drift(settings, end=when, start=since)
            log_check(settings, result, triggered=False, reason="check only")
    table = wrapping_table(
        "feature", "PSI", "KS", "breach", title=f"drift of {result.model} v{result.version}"
    )
    for f in result.features:
        table.add_row(f.feature, f"{f.psi:.4f}", f"{f.ks:.4f}", "yes" if f.breached else "")
    if result.features:
        console.print(table)
    console.print(result.summary(), highlight=False)
    if result.report:
        console.print(f"report: {result.report}")
    if result.status == "drift" and fail_on_drift:
        raise typer.Exit(3)
