"""``learnloop catalog``: import the content pack into the catalog service's database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from learnloop.console import CliError, console, progress_bar
from learnloop.settings import get_settings

app = typer.Typer(help="Content catalog: import content packs.", no_args_is_help=True)


@app.command("import")
def import_pack(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="Content pack folder (problems.jsonl, skills.json, courses.json); "
            "default: the shipped pack."
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Re-import even if this pack was imported.")] = False,
) -> None:
    """Import a content pack (idempotent: the same files twice change nothing)."""
    from features.datasets.shipped import ensure_unpacked
    from learnloop.settings import SHIPPED_DATA_DIR
    from services.catalog.importer import import_content_pack
    from services.common.db import Database
    from services.common.migrate import upgrade_database

    settings = get_settings()
    if path is None:
        root = settings.dataset_dir or ensure_unpacked(settings.datasets_path, SHIPPED_DATA_DIR)
        path = root / "content"
    if not path.is_dir():
        raise CliError(f"content pack folder {path} does not exist")
    upgrade_database(settings.sqlalchemy_url)
    db = Database(settings.sqlalchemy_url)
    try:
        with progress_bar("importing problems", total=None) as advance, db.session() as session:
            report = import_content_pack(session, path, progress=advance, force=force)
    finally:
        db.dispose()
    if report.skipped:
        console.print(
            f"already imported ({report.checksum[:12]}); nothing to do (--force re-imports)"
        )
    else:
        console.print(
            f"imported {report.courses} courses, {report.lessons} lessons, {report.items} items, "
            f"{report.skills} skills in {report.seconds:.1f} s"
        )
