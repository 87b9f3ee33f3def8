"""boto3 clients from learnloop settings (endpoint override for S3/DynamoDB-compatible servers)."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr


def boto3_client(
    service: str,
    *,
    endpoint: str | None,
    region: str,
    access_key: SecretStr | None,
    secret_key: SecretStr | None,
) -> Any:
    """A boto3 client; without keys boto3's own credential chain applies (IAM roles)."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key.get_secret_value() if access_key else None,
        aws_secret_access_key=secret_key.get_secret_value() if secret_key else None,
    )
