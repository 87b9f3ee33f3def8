"""Cacheable JSON reads: strong-enough ETags, ``If-None-Match`` → 304, ``Cache-Control``."""

from __future__ import annotations

import hashlib

from fastapi import Request, Response
from pydantic import BaseModel


def etag_for(body: bytes) -> str:
    """A weak ETag derived from the response body."""
    return 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag.removeprefix("W/") in candidates


def cached_json(
    request: Request, model: BaseModel, *, max_age: int, public: bool = True
) -> Response:
    """``model`` as JSON with ETag and Cache-Control; 304 when the client's copy is current."""
    body = model.model_dump_json().encode()
    etag = etag_for(body)
    headers = {
        "ETag": etag,
        "Cache-Control": f"{'public' if public else 'private'}, max-age={max_age}",
        "Vary": "Accept-Encoding",
    }
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)
