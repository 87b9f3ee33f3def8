"""Analytics against S3-compatible storage (moto): DuckDB over the S3 lake, Glue tables, CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pyarrow.csv as pa_csv
import pytest

from features.events import LearningEvent
from features.lake import EVENTS_DATASET, EVENTS_SCHEMA, Lake, events_to_table
from learnloop.localstack import ManagedProcess
from services.analytics.athena import glue_table_input
from services.analytics.engine import AnalyticsEngine, Scope
from services.analytics.queries import get_report

pytestmark = pytest.mark.integration
CREDENTIALS = {
    "aws_access_key_id": "test",
    "aws_secret_access_key": "test",
    "region_name": "us-east-1",
}


def events(n: int = 12) -> list[LearningEvent]:
    start = datetime(2024, 5, 6, tzinfo=UTC)
    return [
        LearningEvent.model_validate(
            {
                "learner_id": f"l{i % 4}",
                "timestamp": start + timedelta(hours=7 * i),
                "verb": "answered",
                "object": {"id": f"q{i % 3}", "course_id": f"c{i % 2}"},
                "result": {"correct": i % 3 != 0},
            }
        )
        for i in range(n)
    ]


def endpoint(server: ManagedProcess) -> str:
    return f"http://127.0.0.1:{server.port}"


def test_reports_run_on_an_s3_lake(s3_server: ManagedProcess) -> None:
    boto3.client("s3", endpoint_url=endpoint(s3_server), **CREDENTIALS).create_bucket(
        Bucket="ars-lake"
    )
    lake = Lake.from_uri(
        "s3://ars-lake/lake",
        s3_endpoint=endpoint(s3_server),
        s3_access_key="test",
        s3_secret_key="test",
    )
    lake.write_events(events_to_table(events()))
    engine = AnalyticsEngine(lake)
    rows = engine.table(get_report("learner_activity")).to_pylist()
    assert [r["learner_id"] for r in rows] == ["l0", "l1", "l2", "l3"]
    assert sum(r["answers"] for r in rows) == 12
    scoped = engine.table(get_report("course_funnel"), scope=Scope(frozenset({"c1"})))
    assert scoped.column("course_id").to_pylist() == ["c1"]


def test_glue_accepts_the_generated_table_definitions(s3_server: ManagedProcess) -> None:
    glue = boto3.client("glue", endpoint_url=endpoint(s3_server), **CREDENTIALS)
    glue.create_database(DatabaseInput={"Name": "learnloop"})
    glue.create_table(
        DatabaseName="learnloop", TableInput=glue_table_input(EVENTS_DATASET, "s3://ars-lake/lake")
    )
    table = glue.get_table(DatabaseName="learnloop", Name=EVENTS_DATASET)["Table"]
    columns = [c["Name"] for c in table["StorageDescriptor"]["Columns"]]
    partitions = [p["Name"] for p in table["PartitionKeys"]]
    assert (
        columns + partitions == [n for n in EVENTS_SCHEMA.names if n not in partitions] + partitions
    )
    assert table["Parameters"]["projection.enabled"] == "true"


def test_cli_exports_a_report(tmp_path: Path) -> None:
    Lake.from_uri(str(tmp_path / "lake")).write_events(events_to_table(events()))
    out = tmp_path / "items.csv"
    env = {**os.environ, "LEARNLOOP_DATA_DIR": str(tmp_path), "LEARNLOOP_LOG_JSON": "false"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "learnloop.cli",
            "analytics",
            "export",
            "item_statistics",
            "--out",
            str(out),
            "--date-from",
            "2024-05-06",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert pa_csv.read_csv(out).column("item_id").to_pylist() == ["q0", "q1", "q2"]
    bad = subprocess.run(
        [sys.executable, "-m", "learnloop.cli", "analytics", "export", "nope", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2 and "unknown report 'nope'" in bad.stderr
