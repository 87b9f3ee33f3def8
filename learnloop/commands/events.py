"""``learnloop events``: export the event JSON Schemas, validate event files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from features.events import (
    EventValidationError,
    dump_json_schema,
    json_schemas,
    parse_learning_event,
)
from features.xapi import is_xapi_statement, statement_to_event
from learnloop.console import CliError, console

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "features" / "schemas"
app = typer.Typer(help="Canonical events: JSON Schemas and validation.", no_args_is_help=True)


@app.command("schema")
def schema(
    out: Annotated[
        Path, typer.Option(help="Folder to write the JSON Schema files to.")
    ] = SCHEMA_DIR,
) -> None:
    """Write the JSON Schemas of LearningEvent and ProgressUpdateEvent."""
    out.mkdir(parents=True, exist_ok=True)
    for name, document in json_schemas().items():
        (out / name).write_text(dump_json_schema(document))
        console.print(f"wrote {out / name}")


@app.command("validate")
def validate(
    path: Annotated[
        Path, typer.Argument(help="JSON Lines file of LearningEvents or xAPI statements.")
    ],
) -> None:
    """Validate every line of a JSON Lines file; report each bad line with its fields."""
    if not path.is_file():
        raise CliError(f"file {path} does not exist")
    bad = 0
    total = 0
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        total += 1
        try:
            document = json.loads(line)
            if is_xapi_statement(document):
                statement_to_event(document)
            else:
                parse_learning_event(document)
        except json.JSONDecodeError as exc:
            bad += 1
            console.print(f"line {number}: invalid JSON ({exc.msg})")
        except EventValidationError as exc:
            bad += 1
            console.print(f"line {number}: {exc}")
    console.print(f"{total - bad}/{total} valid")
    if bad:
        raise typer.Exit(1)
