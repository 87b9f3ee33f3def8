"""Calls to the platform API from a page: through the gateway app in this process, as the
signed-in user, from the user's own client address (so per-IP limits and login throttling see
the real client)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import Request


class ApiError(Exception):
    """The platform API answered with an error (a problem body's detail when present)."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict):
        errors = body.get("errors") or []
        reasons = "; ".join(f"{e.get('field')}: {e.get('reason')}" for e in errors if e)
        return str(body.get("detail") or body.get("title") or "") + (
            f" ({reasons})" if reasons else ""
        )
    return str(body)


class Api:
    """A small JSON client on the gateway for one page request."""

    def __init__(self, request: Request, token: str | None = None, timeout: float = 10.0):
        client = request.client
        address = (client.host, client.port) if client else ("127.0.0.1", 0)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        request_id = request.headers.get("x-request-id")
        if request_id:
            headers["X-Request-ID"] = request_id
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=request.app, client=address),
            base_url="http://gateway.internal",
            headers=headers,
            timeout=timeout,
        )

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """JSON of a successful answer; :class:`ApiError` otherwise."""
        response = await self._client.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise ApiError(response.status_code, _detail(response))
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def get(self, path: str, **params: Any) -> Any:
        """GET ``path`` with query ``params`` (``None`` values dropped)."""
        clean = {k: v for k, v in params.items() if v is not None}
        return await self.call("GET", path, params=clean)

    async def post(self, path: str, body: Any = None) -> Any:
        """POST a JSON body."""
        return await self.call("POST", path, json=body)
