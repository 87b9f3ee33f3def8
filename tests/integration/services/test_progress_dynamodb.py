"""The DynamoDB progress store against a real DynamoDB-compatible server (moto server mode)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from testkit.progress_store_contract import ProgressStoreContract

from learnloop.localstack import ManagedProcess
from services.progress.dynamo_store import DynamoProgressStore

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def dynamodb(s3_server: ManagedProcess) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=f"http://127.0.0.1:{s3_server.port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


class TestDynamoProgressStore(ProgressStoreContract):
    """The DynamoDB backend passes the same contract as the relational one."""

    @pytest.fixture
    def store(self, dynamodb: Any) -> Iterator[DynamoProgressStore]:
        store = DynamoProgressStore(dynamodb, f"progress-{uuid.uuid4().hex[:8]}")
        store.ensure_table()
        store.ensure_table()  # idempotent
        yield store
        dynamodb.delete_table(TableName=store.table)
