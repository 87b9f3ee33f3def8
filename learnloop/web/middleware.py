"""Request context middleware: request/trace ids in logs and response headers, access log."""

from __future__ import annotations

import logging
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from learnloop.log import log_context

REQUEST_ID_HEADER = "x-request-id"
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-(?P<trace>[0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
access_log = logging.getLogger("learnloop.access")


class RequestContextMiddleware:
    """Bind a request id (incoming ``X-Request-ID`` if well-formed, else new) and the W3C
    ``traceparent`` trace id for the request, echo the id in the response, log one access line.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        incoming = headers.get(REQUEST_ID_HEADER, "")
        trace = _TRACEPARENT.match(headers.get("traceparent", ""))
        started = time.perf_counter()
        status = 500
        with log_context(
            request_id=incoming if _VALID_ID.match(incoming) else None,
            trace_id=trace.group("trace") if trace else None,
        ) as request_id:

            async def send_with_id(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message.setdefault("headers", [])
                    message["headers"].append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                await send(message)

            try:
                await self.app(scope, receive, send_with_id)
            finally:
                access_log.info(
                    "%s %s %s",
                    scope.get("method"),
                    scope.get("path"),
                    status,
                    extra={
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
