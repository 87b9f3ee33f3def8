"""The ``learnloop`` command line (typer + rich). Heavy libraries load only inside commands."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from learnloop import __version__
from learnloop.commands import (
    analytics,
    backup,
    catalog,
    data,
    drift,
    events,
    experiment,
    features,
    graph,
    ingest,
    kt,
    model,
    pipeline,
    security,
    users,
)
from learnloop.commands.serve import serve
from learnloop.commands.simulate import simulate
from learnloop.commands.up import up
from learnloop.console import CliError, console
from learnloop.log import configure_logging
from learnloop.settings import get_settings

app = typer.Typer(
    name="learnloop",
    help="learnloop: knowledge tracing, recommendations and learning paths, with the MLOps loop.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(analytics.app, name="analytics")
app.add_typer(backup.app, name="backup")
app.add_typer(catalog.app, name="catalog")
app.add_typer(data.app, name="data")
app.add_typer(events.app, name="events")
app.add_typer(experiment.app, name="experiment")
app.add_typer(features.app, name="features")
app.add_typer(graph.app, name="graph")
app.add_typer(ingest.app, name="ingest")
app.add_typer(kt.app, name="kt")
app.add_typer(model.app, name="model")
app.add_typer(pipeline.app, name="pipeline")
app.add_typer(drift.app, name="drift")
app.add_typer(users.app, name="users")
app.add_typer(security.app, name="security")
app.command("up")(up)
app.command("serve")(serve)
app.command("simulate")(simulate)


@app.command("version")
def version() -> None:
    """Print the learnloop version."""
    console.print(__version__)


@app.callback()
def _configure() -> None:
    try:
        settings = get_settings()
    except ValidationError as exc:
        raise CliError(f"invalid LEARNLOOP_* settings: {exc}") from None
    configure_logging(settings.log_level, json_output=settings.log_json)


USER_ERRORS = (CliError, FileNotFoundError, KeyError, ValueError, RuntimeError, TimeoutError)


def main() -> None:
    """Entry point: run the CLI, turning user-facing errors into one line and exit code 2."""
    try:
        app(standalone_mode=True)
    except USER_ERRORS as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        console.print(f"[red]error:[/red] {message}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
