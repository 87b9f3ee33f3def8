"""Security response headers for every response (API and HTML alike)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"cross-origin-opener-policy": b"same-origin",
}
JSON_ONLY = {
    b"content-security-policy": b"default-src 'none'; frame-ancestors 'none'",
    b"x-frame-options": b"DENY",
}
JSON_TYPES = (b"application/json", b"application/problem+json")


class SecurityHeadersMiddleware:
    """Add nosniff/referrer headers everywhere and a deny-all CSP on JSON responses.

    HTML pages (docs, LTI launches shown inside an LMS frame) set their own policy. ``hsts``
    adds Strict-Transport-Security (enable behind TLS).
    """

    def __init__(self, app: ASGIApp, *, hsts: bool = False):
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                extra = dict(API_HEADERS)
                if content_type.startswith(JSON_TYPES):
                    extra.update(JSON_ONLY)
                if self.hsts:
                    extra[b"strict-transport-security"] = b"max-age=31536000; includeSubDomains"
                headers.extend((k, v) for k, v in extra.items() if k not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
