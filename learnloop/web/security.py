"""Security response headers for every response (API and HTML alike)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"cross-origin-opener-policy": b"same-origin",
}
NOT_HTML = {
    b"content-security-policy": b"default-src 'none'; frame-ancestors 'none'",
    b"x-frame-options": b"DENY",
}
# HTML without its own policy (the API docs): scripts/styles from self and the docs CDN only,
# never framed by another origin.
HTML_DEFAULT = {
    b"content-security-policy": b"default-src 'self'; script-src 'self' 'unsafe-inline' "
    b"https://cdn.jsdelivr.net; style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"img-src 'self' data: https://fastapi.tiangolo.com; object-src 'none'; "
    b"base-uri 'self'; frame-ancestors 'self'",
}
HSTS = b"max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    """Add nosniff/referrer headers everywhere, a deny-all CSP and ``X-Frame-Options: DENY`` on
    everything but HTML, and a restrictive default CSP on HTML that sets no policy itself (LTI
    launches shown inside an LMS frame set their own frame-ancestors).

    Strict-Transport-Security is sent on every HTTPS request (TLS listener, or a trusted proxy's
    ``X-Forwarded-Proto``), and on all requests when ``hsts`` is set.
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
                is_html = content_type.startswith(b"text/html")
                if not is_html:
                    extra.update(NOT_HTML)
                elif b"content-security-policy" not in present:
                    extra.update(HTML_DEFAULT)
                if self.hsts or scope.get("scheme") == "https":
                    extra[b"strict-transport-security"] = HSTS
                headers.extend((k, v) for k, v in extra.items() if k not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
