"""Where catalog assets live: a local folder (default) or S3, behind one small interface."""

from __future__ import annotations

import mimetypes
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from urllib.parse import urlparse

from learnloop.settings import Settings
from services.common.aws import boto3_client


class InvalidKeyError(ValueError):
    """An object key that is empty, absolute or climbs out of the store."""


def check_key(key: str) -> str:
    """``key`` if it is a safe relative path (no ``..``, no absolute path, no backslashes)."""
    path = PurePosixPath(key)
    if (
        not key
        or "\\" in key
        or "\x00" in key
        or path.is_absolute()
        or any(part in {"..", ""} for part in key.split("/"))
    ):
        raise InvalidKeyError(f"invalid object key {key!r}")
    return key


def guess_type(key: str) -> str:
    """Content type of an object from its name."""
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


class ObjectStore(Protocol):
    """Put, get and delete blobs by key."""

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        """Store ``data`` at ``key``."""

    def get(self, key: str) -> bytes | None:
        """The blob at ``key``, or None."""

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix``; return how many."""


class LocalObjectStore:
    """Objects as files under ``root``."""

    def __init__(self, root: Path):
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise InvalidKeyError(f"invalid object key {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        return path.read_bytes() if path.is_file() else None

    def delete_prefix(self, prefix: str) -> int:
        base = self._path(prefix.rstrip("/"))
        files = [p for p in base.rglob("*") if p.is_file()] if base.is_dir() else []
        for file in files:
            file.unlink()
        return len(files)


class S3ObjectStore:
    """Objects in an S3 bucket under a prefix (any S3-compatible endpoint)."""

    def __init__(self, client: Any, bucket: str, prefix: str = ""):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes, content_type: str | None = None) -> None:
        self.client.put_object(
            Bucket=self.bucket,
            Key=self._key(key),
            Body=data,
            ContentType=content_type or guess_type(key),
        )

    def get(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            return None
        body: bytes = answer["Body"].read()
        return body

    def delete_prefix(self, prefix: str) -> int:
        paginator = self.client.get_paginator("list_objects_v2")
        count = 0
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix.rstrip("/"))):
            keys = [{"Key": obj["Key"]} for obj in page.get("Contents", [])]
            if keys:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys})
                count += len(keys)
        return count


def object_store_from_settings(settings: Settings) -> ObjectStore:
    """The configured object store (``s3://bucket/prefix`` or a local folder)."""
    uri = settings.object_store_uri
    if not uri.startswith("s3://"):
        return LocalObjectStore(Path(uri))
    parsed = urlparse(uri)
    catalog = settings.catalog
    client = boto3_client(
        "s3",
        endpoint=catalog.s3_endpoint,
        region=catalog.s3_region,
        access_key=catalog.s3_access_key,
        secret_key=catalog.s3_secret_key,
    )
    return S3ObjectStore(client, parsed.netloc, parsed.path)
