"""Backups are restorable: ``learnloop backup create|restore`` on the real PostgreSQL (dump a
populated database, restore into a fresh one, compare every table), and a versioned lake bucket
(moto S3) gives back an overwritten and a deleted object."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text
from testkit.gateway_harness import service_settings
from testkit.pg import create_database
from typer.testing import CliRunner

from learnloop.cli import app
from learnloop.commands.backup import create_backup, restore_backup, restore_object_version
from learnloop.console import CliError
from learnloop.localstack import ManagedProcess
from learnloop.settings import get_settings
from services.common.events import InProcessEventBus
from services.gateway.app import create_gateway

pytestmark = pytest.mark.integration


def _cli(*args: str) -> str:
    """``learnloop backup ...`` in this process (settings re-read from the environment)."""
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["backup", *args])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return result.output


def _snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted (the comparison of a restore)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            out = {}
            for table in inspect(connection).get_table_names():
                rows = connection.execute(text(f'SELECT * FROM "{table}"'))
                out[table] = sorted(tuple(map(repr, row)) for row in rows)
            return out
    finally:
        engine.dispose()


def test_postgres_dump_restores_into_a_fresh_database_identically(
    postgres_server: ManagedProcess, dataset_dir: Path, tmp_path: Path
) -> None:
    source = create_database(postgres_server.port, "backup_src")
    settings = service_settings(tmp_path / "platform", source, dataset_dir)
    with TestClient(
        create_gateway(settings, bus=InProcessEventBus())
    ) as client:  # migrates, then real writes
        for i in range(5):
            registered = client.post(
                "/auth/register",
                json={
                    "email": f"b{i}-{uuid.uuid4().hex[:6]}@example.com",
                    "password": "backup password 123",
                    "full_name": f"Backup {i}",
                },
            )
            assert registered.status_code == 201, registered.text
    before = _snapshot(source)
    assert sum(len(rows) for rows in before.values()) >= 5

    dump = tmp_path / "learnloop.dump"
    _cli("create", "--output", str(dump), "--database-url", source)
    target = create_database(postgres_server.port, "backup_dst")
    _cli("restore", "--input", str(dump), "--target-url", target)

    after = _snapshot(target)
    assert set(after) == set(before) and "alembic_version" in after
    for table, rows in before.items():
        assert after[table] == rows, f"{table} differs after restore"
    with pytest.raises(CliError, match="failed"):  # never over a populated database
        restore_backup(dump, target)


def test_sqlite_backup_copy_roundtrip(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'live.db'}"
    engine = create_engine(source)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
        connection.execute(text("INSERT INTO t (v) VALUES ('a'), ('b'), ('c')"))
    engine.dispose()
    backup = create_backup(source, tmp_path / "copy.db")
    target = f"sqlite:///{tmp_path / 'restored.db'}"
    restore_backup(backup, target)
    assert _snapshot(target) == _snapshot(source)
    with pytest.raises(CliError, match="existing database"):
        restore_backup(backup, target)


def _parquet(values: list[int]) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table({"event_count": values}), sink)
    return sink.getvalue()


def test_versioned_lake_restores_overwritten_and_deleted_objects(
    s3_server: ManagedProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = f"http://127.0.0.1:{s3_server.port}"
    creds = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **creds)
    bucket = f"lake-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    overwritten = "lake/events/day=2026-03-02/part-0.parquet"
    deleted = "lake/events/day=2026-03-03/part-0.parquet"
    original = _parquet([1, 2, 3])
    s3.put_object(Bucket=bucket, Key=overwritten, Body=original)
    s3.put_object(Bucket=bucket, Key=overwritten, Body=_parquet([9]))  # a bad rewrite
    s3.put_object(Bucket=bucket, Key=deleted, Body=_parquet([4, 5]))
    s3.delete_object(Bucket=bucket, Key=deleted)  # an accidental delete

    def body(key: str) -> bytes:
        return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    restore_object_version(s3, bucket, overwritten)
    assert body(overwritten) == original
    assert pq.read_table(io.BytesIO(body(overwritten)))["event_count"].to_pylist() == [1, 2, 3]
    versions = s3.list_object_versions(Bucket=bucket, Prefix=overwritten)["Versions"]
    assert len(versions) == 3, "the bad version stays in the history"

    monkeypatch.setenv("LEARNLOOP_LAKE__URI", f"s3://{bucket}/lake")
    monkeypatch.setenv("LEARNLOOP_LAKE__S3_ENDPOINT", endpoint)
    monkeypatch.setenv("LEARNLOOP_LAKE__S3_ACCESS_KEY", "test")
    monkeypatch.setenv("LEARNLOOP_LAKE__S3_SECRET_KEY", "test")
    out = _cli("lake-restore", "events/day=2026-03-03/part-0.parquet")
    assert "restored" in out
    assert pq.read_table(io.BytesIO(body(deleted)))["event_count"].to_pylist() == [4, 5]
    with pytest.raises(CliError, match="no version"):
        restore_object_version(s3, bucket, deleted, version_id="nope")
