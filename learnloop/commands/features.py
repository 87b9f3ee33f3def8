"""``learnloop features``: the Feast store (apply, materialize, lookups), SQL views over the
lake, data validation and learner erasure. Feast / great-expectations load only when used."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from learnloop.console import CliError, console, wrapping_table
from learnloop.resources import lake_from_settings
from learnloop.settings import get_settings

app = typer.Typer(
    help="Feature store, SQL views over the lake, data validation, erasure.", no_args_is_help=True
)


@app.command("apply")
def apply() -> None:
    """Render the Feast repo from settings and register every feature definition."""
    from features.feature_repo.store import apply as apply_definitions

    settings = get_settings()
    with console.status("applying feature definitions (Feast loads in ~15 s)"):
        names = apply_definitions(settings)
    console.print(f"applied {len(names)} objects to {settings.feature_repo_path}")


@app.command("materialize")
def materialize(
    end: Annotated[
        datetime | None, typer.Option(help="Materialize up to this UTC time (default: now).")
    ] = None,
) -> None:
    """Rebuild the offline feature tables from the lake, then load them into the online store."""
    from features.feature_repo.store import apply as apply_definitions
    from features.feature_repo.store import materialize as run_materialize
    from features.feature_repo.store import open_store
    from features.sql.feature_tables import build_feature_tables

    settings = get_settings()
    with console.status("building feature tables from the lake"):
        counts = build_feature_tables(lake_from_settings(settings), settings.feature_offline_path)
    for name, rows in counts.items():
        console.print(f"{name}: {rows} rows")
    with console.status("materializing into the online store"):
        store = open_store(settings)
        apply_definitions(settings, store)
        run_materialize(settings, store, end=end.replace(tzinfo=UTC) if end else None)
    console.print("online store up to date")


@app.command("get")
def get(
    learner_id: Annotated[str, typer.Argument(help="Pseudonymous learner id.")],
    service: Annotated[str, typer.Option(help="Feature service.")] = "learner_state_v1",
) -> None:
    """Print a learner's online features (a feature service that keys on learner only)."""
    from features.feature_repo.store import open_store

    store = open_store(get_settings())
    try:
        features = store.get_feature_service(service)
    except Exception as exc:
        raise CliError(f"unknown feature service {service!r}: run `features apply`") from exc
    values = store.get_online_features(
        features=features, entity_rows=[{"learner_id": learner_id}]
    ).to_dict()
    table = wrapping_table("feature", "value")
    for name, column in values.items():
        table.add_row(name, str(column[0]))
    console.print(table)


@app.command("sql")
def sql(
    view: Annotated[str, typer.Argument(help="View name (file in features/sql without .sql).")],
    out: Annotated[Path | None, typer.Option(help="Write the result as parquet.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to print.")] = 20,
) -> None:
    """Run an Athena-compatible SQL view over the lake with DuckDB."""
    import pyarrow.parquet as pq

    from features.sql import query_view

    result = query_view(lake_from_settings(get_settings()), view)
    if out:
        pq.write_table(result, out)
        console.print(f"wrote {result.num_rows} rows to {out}")
    console.print(result.slice(0, limit).to_pandas().to_string(index=False))


@app.command("validate")
def validate(
    report_dir: Annotated[
        Path | None, typer.Option(help="Where to write the report (default <data_dir>/reports).")
    ] = None,
) -> None:
    """Validate the lake events with the great-expectations suite; exit 1 if it fails."""
    from features.validation import validate_events

    settings = get_settings()
    events = lake_from_settings(settings).read_events()
    if events.num_rows == 0:
        raise CliError("the lake holds no events to validate")
    with console.status(f"validating {events.num_rows} events"):
        report = validate_events(events.to_pandas())
    path = report.write(report_dir or settings.data_dir / "reports" / "validation")
    console.print(report.markdown() if not report.success else f"passed; report: {path}")
    if not report.success:
        raise typer.Exit(1)


@app.command("erase")
def erase(learner_id: Annotated[str, typer.Argument(help="Pseudonymous learner id.")]) -> None:
    """GDPR erasure: delete a learner from the lake, the online and offline feature store,
    consumer state and the training pipeline's datasets."""
    from features.feature_repo.erasure import erase_learner
    from features.feature_repo.store import open_store
    from pipelines.privacy import dataset_roots
    from pipelines.privacy import erase_learner as erase_training_data

    settings = get_settings()
    result = erase_learner(
        learner_id,
        lake=lake_from_settings(settings),
        store=open_store(settings),
        state_files=list(settings.state_path.glob("*.sqlite")),
        offline_dir=settings.feature_offline_path,
    )
    training = erase_training_data(dataset_roots(settings).values(), learner_id)
    console.print(
        f"erased {learner_id}: {result['lake_rows']} lake rows, "
        f"{result['online_rows']} online rows, {result['offline_rows']} offline feature rows, "
        f"{training.rows_deleted} rows in {training.files_rewritten} training-data files, "
        "consumer state cleared"
    )
