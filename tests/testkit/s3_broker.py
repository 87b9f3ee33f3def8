"""Broker storage on the session's moto S3 server (for broker crash/restart tests)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import boto3

from learnloop.localstack import ManagedProcess


@dataclass(frozen=True)
class S3BrokerStorage:
    """A fresh bucket for tansu: its ``storage`` URL and the environment the broker needs."""

    storage: str
    env: dict[str, str]


def s3_broker_storage(s3_server: ManagedProcess) -> S3BrokerStorage:
    """Create a unique bucket on ``s3_server`` and describe it for :func:`start_broker`."""
    bucket = f"tansu-{uuid.uuid4().hex[:8]}"
    endpoint = f"http://127.0.0.1:{s3_server.port}"
    credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **credentials).create_bucket(
        Bucket=bucket
    )
    env = {
        "AWS_ENDPOINT": endpoint,
        "AWS_ALLOW_HTTP": "true",
        "AWS_ACCESS_KEY_ID": credentials["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": credentials["aws_secret_access_key"],
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    return S3BrokerStorage(storage=f"s3://{bucket}/", env=env)
