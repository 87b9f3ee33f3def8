"""``learnloop data``: unpack shipped datasets, import interaction logs into the lake."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from features.datasets.kt_folds import DATASETS, resolve_name
from features.importers import (
    DatasetImportError,
    ImportReport,
    OnError,
    file_digest,
    import_kt_dataset,
    read_assistments_csv,
    read_ednet_kt1,
    read_generic_csv,
    run_import,
)
from features.importers.csv_rows import HeaderError
from learnloop.console import CliError, console, progress_bar, wrapping_table
from learnloop.resources import datasets_dir, lake_from_settings
from learnloop.settings import get_settings

app = typer.Typer(
    help="Datasets: unpack the shipped data and import interaction logs into the lake.",
    no_args_is_help=True,
)


class ImportFormat(StrEnum):
    """Supported raw log formats."""

    GENERIC = "generic"
    ASSISTMENTS = "assistments"
    EDNET = "ednet"


def print_report(report: ImportReport) -> None:
    """Print an import report (counts, then the first errors as a table)."""
    console.print(report.summary())
    if report.errors:
        table = wrapping_table(
            "row", "column", "reason", title=f"first {len(report.errors)} errors"
        )
        for error in report.errors:
            table.add_row(str(error.row), error.column, error.reason)
        console.print(table)


@app.command("unpack")
def unpack() -> None:
    """Unpack the shipped archives (KT folds, content pack) into the dataset folder."""
    path = datasets_dir(get_settings())
    console.print(f"datasets ready in {path}")


@app.command("import-kt")
def import_kt(
    dataset: Annotated[str, typer.Argument(help=f"One of: {', '.join(DATASETS)}")] = "assist2009",
) -> None:
    """Import every learner of a shipped knowledge-tracing dataset into the lake as events."""
    settings = get_settings()
    name = resolve_name(dataset)
    with console.status(f"importing {name}"):
        report = import_kt_dataset(datasets_dir(settings), name, lake_from_settings(settings))
    print_report(report)


@app.command("import")
def import_logs(
    path: Annotated[
        Path, typer.Argument(help="CSV file (generic, assistments) or folder (ednet).")
    ],
    fmt: Annotated[
        ImportFormat, typer.Option("--format", "-f", help="Log format.")
    ] = ImportFormat.GENERIC,
    on_error: Annotated[
        OnError,
        typer.Option(help="fail: stop at the first bad row, write nothing; skip: drop bad rows."),
    ] = OnError.FAIL,
    source: Annotated[str | None, typer.Option(help="Source name stored on each event.")] = None,
    questions: Annotated[
        Path | None, typer.Option(help="EdNet question table (questions.csv), for --format ednet.")
    ] = None,
    encoding: Annotated[str, typer.Option(help="Text encoding of CSV files.")] = "utf-8",
) -> None:
    """Import raw interaction logs into the lake as canonical events."""
    if not path.exists():
        raise CliError(f"path {path} does not exist")
    name = source or fmt.value
    if fmt is ImportFormat.EDNET:
        if questions is None:
            raise CliError("--questions is required for --format ednet")
        rows = read_ednet_kt1(path, questions, source=name)
        digest = file_digest(questions, *sorted(path.glob("u*.csv")))
    elif fmt is ImportFormat.ASSISTMENTS:
        rows = read_assistments_csv(path, source=name, encoding=encoding)
        digest = file_digest(path)
    else:
        rows = read_generic_csv(path, source=name)
        digest = file_digest(path)
    lake = lake_from_settings(get_settings())
    try:
        with progress_bar(f"importing {path.name}") as advance:
            report = run_import(
                rows,
                lake,
                source=name,
                batch_id=f"{name}-{digest}",
                on_error=on_error,
                progress=advance,
            )
    except DatasetImportError as exc:
        print_report(exc.report)
        raise CliError(f"import stopped at the first bad row, nothing written: {exc}") from None
    except HeaderError as exc:
        raise CliError(str(exc)) from None
    print_report(report)
