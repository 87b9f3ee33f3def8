"""The lake code path against a real S3-compatible server (moto in server mode)."""

from __future__ import annotations

import boto3
import pytest
from testkit.events import make_events

from features.lake import Lake, events_from_table, events_to_table
from learnloop.localstack import ManagedProcess

pytestmark = pytest.mark.integration


@pytest.fixture
def s3_lake(s3_server: ManagedProcess) -> Lake:
    endpoint = f"http://127.0.0.1:{s3_server.port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket="learnloop-lake-test")
    return Lake.from_uri(
        "s3://learnloop-lake-test/lake",
        s3_endpoint=endpoint,
        s3_access_key="test",
        s3_secret_key="test",
    )


def test_write_read_and_atomicity_on_s3(s3_lake: Lake) -> None:
    events = make_events(40)
    result = s3_lake.write_events(events_to_table(events), batch_id="s3batch")
    assert result.rows == 40 and all(
        f.startswith("learnloop-lake-test/lake/events/") for f in result.files
    )
    s3_lake.write_events(events_to_table(events), batch_id="s3batch")  # retry: no duplicates
    back = sorted(events_from_table(s3_lake.read_events()), key=lambda e: e.timestamp)
    assert back == events
    with (
        pytest.raises(RuntimeError),
        s3_lake.staged_writer("events", partition_cols=("event_date", "verb")) as writer,
    ):
        writer.write(events_to_table(events))
        raise RuntimeError("crash")
    assert s3_lake.read_events().num_rows == 40
    assert not [f for f in s3_lake.files("events") if "_staging" in f]
