"""Catalog assets in S3 (moto server): the store itself, and a SCORM upload served from it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr
from testkit.gateway_harness import Gateway
from testkit.scorm_packages import scorm12_package

from learnloop.localstack import ManagedProcess
from services.catalog.objectstore import InvalidKeyError, LocalObjectStore, S3ObjectStore
from services.common.aws import boto3_client
from services.common.principal import Role

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """SQLite: this module is about the object store."""
    return f"sqlite:///{tmp_path_factory.mktemp('s3') / 'services.db'}"


@pytest.fixture(scope="module")
def bucket(s3_server: ManagedProcess) -> tuple[str, str]:
    endpoint = f"http://127.0.0.1:{s3_server.port}"
    name = f"assets-{uuid.uuid4().hex[:8]}"
    client = boto3_client(
        "s3",
        endpoint=endpoint,
        region="us-east-1",
        access_key=SecretStr("test"),
        secret_key=SecretStr("test"),
    )
    client.create_bucket(Bucket=name)
    return endpoint, name


def test_s3_and_local_stores_behave_alike(bucket: tuple[str, str], tmp_path: Path) -> None:
    endpoint, name = bucket
    client = boto3_client(
        "s3",
        endpoint=endpoint,
        region="us-east-1",
        access_key=SecretStr("test"),
        secret_key=SecretStr("test"),
    )
    for store in (S3ObjectStore(client, name, "catalog"), LocalObjectStore(tmp_path)):
        store.put("scorm/p1/index.html", b"<html/>", "text/html")
        store.put("scorm/p1/img/a.gif", b"GIF89a")
        assert store.get("scorm/p1/index.html") == b"<html/>"
        assert store.get("scorm/p1/missing") is None
        with pytest.raises(InvalidKeyError):
            store.get("../secrets")
        assert store.delete_prefix("scorm/p1") == 2
        assert store.get("scorm/p1/img/a.gif") is None


def test_scorm_assets_are_served_from_s3(
    make_gateway: Callable[..., Gateway], bucket: tuple[str, str]
) -> None:
    endpoint, name = bucket
    gateway = make_gateway(
        catalog={
            "object_store_uri": f"s3://{name}/objects",
            "s3_endpoint": endpoint,
            "s3_access_key": "test",
            "s3_secret_key": "test",
        }
    )
    _iid, instructor = gateway.make_user(Role.INSTRUCTOR)
    uploaded = gateway.client.post(
        "/catalog/scorm", files={"file": ("p.zip", scorm12_package())}, headers=instructor
    )
    assert uploaded.status_code == 201, uploaded.text
    url = uploaded.json()["items"][1]["url"]
    asset = gateway.client.get(url)
    assert asset.status_code == 200 and b"1/2 + 1/4" in asset.content
    client = boto3_client(
        "s3",
        endpoint=endpoint,
        region="us-east-1",
        access_key=SecretStr("test"),
        secret_key=SecretStr("test"),
    )
    keys = [
        o["Key"] for o in client.list_objects_v2(Bucket=name, Prefix="objects/scorm/")["Contents"]
    ]
    assert any(k.endswith("/adding.html") for k in keys) and len(keys) == 3
