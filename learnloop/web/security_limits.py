"""Request body size limit: an oversized body is refused with a 413 problem before it is read.

A declared ``Content-Length`` over the limit is answered at once; a chunked body is counted as
it streams and reading stops at the limit (the route sees a 413 error, never the rest).
Limits are per path prefix (uploads get more than JSON calls); the longest prefix wins.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import HTTPException
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from learnloop.log import request_id_var
from learnloop.settings import Settings
from learnloop.web.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, Problem


class BodyTooLargeError(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit (FastAPI re-raises it)."""

    def __init__(self, limit: int):
        super().__init__(413, f"request body larger than {limit} bytes")
        self.limit = limit


async def send_problem(
    send: Send, scope: Scope, status: int, slug: str, detail: str, headers: Mapping[str, str] = {}
) -> None:
    """Answer with an RFC 9457 problem from ASGI middleware (outside FastAPI's handlers)."""
    body = (
        Problem(
            type=PROBLEM_BASE + slug,
            title="Content Too Large" if status == 413 else str(status),
            status=status,
            detail=detail,
            instance=scope.get("path"),
            request_id=request_id_var.get(),
        )
        .model_dump_json(exclude_none=True)
        .encode()
    )
    raw = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), (b"content-length", b"%d" % len(body))]
    raw += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class BodySizeLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` (or the limit of the longest matching prefix)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, overrides: Mapping[str, int] = {}):
        self.app = app
        self.max_bytes = max_bytes
        self.overrides = sorted(overrides.items(), key=lambda kv: len(kv[0]), reverse=True)

    def limit_for(self, path: str) -> int:
        """The body limit of ``path``."""
        return next((n for prefix, n in self.overrides if path.startswith(prefix)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            detail = f"request body larger than {limit} bytes"
            await send_problem(send, scope, 413, "body-too-large", detail)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError as exc:
            if started:
                raise
            await send_problem(send, scope, 413, "body-too-large", str(exc.detail))


def body_limit_middleware(settings: Settings) -> Middleware:
    """The body limit of ``settings`` (SCORM uploads get ``catalog.max_upload_mb``)."""
    overrides = {p: kb << 10 for p, kb in settings.security.body_limit_overrides_kb.items()}
    overrides.setdefault("/catalog/scorm", (settings.catalog.max_upload_mb << 20) + (64 << 10))
    return Middleware(
        BodySizeLimitMiddleware, max_bytes=settings.security.max_body_kb << 10, overrides=overrides
    )
