"""Resolve a lake URI (local path or ``s3://bucket/prefix``) to a pyarrow filesystem and root."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from pyarrow import fs


@dataclass(frozen=True)
class LakeLocation:
    """A filesystem plus the root path of the lake inside it."""

    filesystem: fs.FileSystem
    root: str
    uri: str

    def path(self, *parts: str) -> str:
        """Join ``parts`` under the lake root with ``/`` (valid for local and S3 paths)."""
        return "/".join([self.root.rstrip("/"), *(p.strip("/") for p in parts if p)])


def open_lake(
    uri: str,
    *,
    s3_endpoint: str | None = None,
    s3_region: str = "us-east-1",
    s3_access_key: str | None = None,
    s3_secret_key: str | None = None,
) -> LakeLocation:
    """Open the lake at ``uri``.

    ``s3://bucket/prefix`` uses :class:`pyarrow.fs.S3FileSystem` (``s3_endpoint`` points it at an
    S3-compatible server such as MinIO or moto; credentials default to the AWS chain); anything
    else is a local folder, created if missing.
    """
    parsed = urlparse(uri)
    if parsed.scheme == "s3":
        options: dict[str, object] = {"region": s3_region}
        if s3_endpoint:
            endpoint = urlparse(s3_endpoint)
            options["endpoint_override"] = endpoint.netloc or endpoint.path
            options["scheme"] = endpoint.scheme or "https"
        if s3_access_key and s3_secret_key:
            options["access_key"] = s3_access_key
            options["secret_key"] = s3_secret_key
        root = f"{parsed.netloc}{parsed.path}".rstrip("/")
        return LakeLocation(fs.S3FileSystem(**options), root, uri)
    if parsed.scheme not in {"", "file"}:
        raise ValueError(
            f"unsupported lake URI scheme {parsed.scheme!r} in {uri!r}; use a path or s3://"
        )
    local = Path(parsed.path if parsed.scheme == "file" else uri).expanduser().resolve()
    local.mkdir(parents=True, exist_ok=True)
    return LakeLocation(fs.LocalFileSystem(), local.as_posix(), local.as_uri())
