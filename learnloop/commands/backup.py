"""``learnloop backup``: logical backups of the relational database, lake object restores.

* ``create`` — PostgreSQL: ``pg_dump --format=custom`` of the configured database (restorable
  table by table, compressed); SQLite: an online copy through SQLite's backup API.
* ``restore`` — into a fresh, empty target database (PostgreSQL: ``pg_restore --no-owner
  --exit-on-error``, one transaction; SQLite: a copy into a new file). Never over a live one.
* ``lake-restore`` — the lake bucket is versioned: make an earlier version of an object the
  current one again (after an overwrite), or undelete it (remove the delete marker).

Point-in-time recovery (WAL archiving, RDS PITR) is configured on the server, not here; see
docs/BACKUP.md.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.engine import URL, make_url

from learnloop.console import CliError, console
from learnloop.settings import get_settings

app = typer.Typer(
    help="Backups: database dump/restore, lake object versions.", no_args_is_help=True
)


def _postgres_binary(name: str) -> str:
    from learnloop.localstack.servers import POSTGRES_BIN_DIRS

    found = shutil.which(name)
    if found:
        return found
    for folder in POSTGRES_BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    raise CliError(f"{name} not found; install it with: apt-get install postgresql-client")


def _libpq_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection options of ``url`` for pg_dump/pg_restore (password via the environment)."""
    args = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432)]
    if url.username:
        args += ["--username", url.username]
    env = {"PGPASSWORD": url.password} if url.password else {}
    return args, env


def _run(argv: list[str], env: dict[str, str]) -> None:
    import os

    done = subprocess.run(  # noqa: S603 - argv built here from settings, no shell
        argv, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise CliError(f"{Path(argv[0]).name} failed: {done.stderr.strip()[-500:]}")


def _sqlite_path(url: URL) -> Path:
    if not url.database:
        raise CliError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def create_backup(database_url: str, output: Path) -> Path:
    """Write a backup of ``database_url`` to ``output`` (custom-format dump or SQLite copy)."""
    url = make_url(database_url)
    output.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(output)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return output
    args, env = _libpq_args(url)
    argv = [_postgres_binary("pg_dump"), *args, "--format=custom", "--no-owner"]
    _run([*argv, "--file", str(output), url.database or "postgres"], env)
    return output


def restore_backup(backup: Path, target_url: str) -> None:
    """Restore ``backup`` into the empty database ``target_url``."""
    if not backup.is_file():
        raise CliError(f"backup file not found: {backup}")
    url = make_url(target_url)
    if url.get_backend_name() == "sqlite":
        path = _sqlite_path(url)
        if path.exists() and path.stat().st_size:
            raise CliError(f"refusing to restore over an existing database: {path}")
        shutil.copyfile(backup, path)
        return
    args, env = _libpq_args(url)
    argv = [_postgres_binary("pg_restore"), *args, "--no-owner", "--exit-on-error"]
    _run([*argv, "--single-transaction", "--dbname", url.database or "", str(backup)], env)


def restore_object_version(s3: Any, bucket: str, key: str, *, version_id: str | None = None) -> str:
    """Make a previous version of ``s3://bucket/key`` current again; its new version id.

    Without ``version_id``: undo the latest change — remove a delete marker if the object was
    deleted, else restore the version before the current one. The restored data becomes a new
    version (history is kept, nothing is overwritten).
    """
    listing = s3.list_object_versions(Bucket=bucket, Prefix=key)
    versions = [v for v in listing.get("Versions", []) if v["Key"] == key]
    markers = [m for m in listing.get("DeleteMarkers", []) if m["Key"] == key]
    if version_id is None:
        latest_marker = next((m for m in markers if m["IsLatest"]), None)
        if latest_marker is not None:
            s3.delete_object(Bucket=bucket, Key=key, VersionId=latest_marker["VersionId"])
            return str(s3.head_object(Bucket=bucket, Key=key)["VersionId"])
        ordered = sorted(versions, key=lambda v: v["LastModified"], reverse=True)
        if len(ordered) < 2:
            raise CliError(f"s3://{bucket}/{key} has no earlier version to restore")
        version_id = str(ordered[1]["VersionId"])
    elif version_id not in {v["VersionId"] for v in versions}:
        raise CliError(f"s3://{bucket}/{key} has no version {version_id}")
    copied = s3.copy_object(
        Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": key, "VersionId": version_id}
    )
    return str(copied["VersionId"])


@app.command("create")
def create(
    output: Annotated[Path, typer.Option(help="Backup file to write.")],
    database_url: Annotated[
        str | None, typer.Option(help="Database to back up (default: the configured one).")
    ] = None,
) -> None:
    """Back up the relational database (pg_dump custom format, or a SQLite copy)."""
    url = database_url or get_settings().sqlalchemy_url
    create_backup(url, output)
    console.print(f"backup written: {output} ({output.stat().st_size} bytes)")


@app.command("restore")
def restore(
    input_file: Annotated[Path, typer.Option("--input", help="Backup file to restore.")],
    target_url: Annotated[
        str, typer.Option(help="Fresh, empty database to restore into (never the live one).")
    ],
) -> None:
    """Restore a backup into a fresh database (then point LEARNLOOP_DATABASE_URL at it)."""
    restore_backup(input_file, target_url)
    console.print(f"restored {input_file} into {make_url(target_url).database}")


@app.command("lake-restore")
def lake_restore(
    key: Annotated[str, typer.Argument(help="Object key in the lake bucket.")],
    version_id: Annotated[
        str | None, typer.Option(help="Version to restore (default: undo the latest change).")
    ] = None,
) -> None:
    """Restore an overwritten or deleted lake object from the bucket's version history."""
    from services.common.aws import boto3_client

    settings = get_settings()
    lake = settings.lake
    if not (lake.uri or "").startswith("s3://"):
        raise CliError("lake-restore needs an S3 lake (LEARNLOOP_LAKE__URI=s3://bucket/prefix)")
    bucket, _, prefix = (lake.uri or "")[5:].partition("/")
    full_key = key if not prefix or key.startswith(prefix) else f"{prefix.rstrip('/')}/{key}"
    client = boto3_client(
        "s3",
        endpoint=lake.s3_endpoint,
        region=lake.s3_region,
        access_key=lake.s3_access_key,
        secret_key=lake.s3_secret_key,
    )
    new_version = restore_object_version(client, bucket, full_key, version_id=version_id)
    console.print(f"restored s3://{bucket}/{full_key} (now version {new_version})")
