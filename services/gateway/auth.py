"""Gateway token verification: verify a bearer token once, before routing and rate limits."""

from __future__ import annotations

from collections.abc import Callable

from anyio import to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from learnloop.log import request_id_var
from learnloop.web.problems import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, Problem
from services.common.auth import AuthError
from services.common.deps import PRINCIPAL_STATE_KEY
from services.common.principal import Principal


def bearer_token(scope: Scope) -> str | None:
    """The bearer token of the request, if any (``None`` also for other schemes)."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            return None
    return None


class BearerAuthMiddleware:
    """A request with a bearer token proceeds only if the token verifies (else a 401 problem);
    the principal is stored in ``scope["state"]`` for the routes and the per-user rate limit.
    Requests without a token pass; routes that need one answer 401 themselves.
    """

    def __init__(self, app: ASGIApp, *, verify: Callable[[str], Principal]):
        self.app = app
        self.verify = verify

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = bearer_token(scope) if scope["type"] == "http" else None
        if token is None:
            await self.app(scope, receive, send)
            return
        try:
            principal = await to_thread.run_sync(self.verify, token)
        except AuthError as exc:
            await self._reject(scope, send, str(exc))
            return
        scope.setdefault("state", {})[PRINCIPAL_STATE_KEY] = principal
        await self.app(scope, receive, send)

    @staticmethod
    async def _reject(scope: Scope, send: Send, detail: str) -> None:
        body = Problem(
            type=PROBLEM_BASE + "unauthorized",
            title="Unauthorized",
            status=401,
            detail=detail,
            instance=scope.get("path"),
            request_id=request_id_var.get(),
        ).model_dump_json(exclude_none=True)
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                    (b"www-authenticate", b'Bearer error="invalid_token"'),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})
