"""Mount the web app into an app (the gateway): pages under ``/app``, static files under
``/app/static`` with cache headers a CDN can honour."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from webapp.rendering import STATIC, render
from webapp.session import PREFIX, CsrfError, LoginRequiredError, RoleRequiredError

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=3600"


class CachedStaticFiles(StaticFiles):
    """Static files with ``Cache-Control``: a year (immutable) for content-versioned URLs
    (``?v=<hash>``), an hour otherwise (fonts a stylesheet refers to)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            query = scope.get("query_string", b"")
            response.headers["Cache-Control"] = IMMUTABLE if b"v=" in query else SHORT
        return response


def _login_redirect(request: Request, _exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": f"{PREFIX}/login"})
    return RedirectResponse(f"{PREFIX}/login?next={target}", status_code=303)


def _forbidden(request: Request, exc: Exception) -> Response:
    needed = ", ".join(sorted(exc.roles)) if isinstance(exc, RoleRequiredError) else ""
    return render(request, "error.html", status=403, title="Not allowed", needed=needed)


def _csrf(request: Request, _exc: Exception) -> Response:
    return render(request, "error.html", status=403, title="Form expired", needed="")


def mount_webapp(app: FastAPI) -> None:
    """Add the web app's pages, static files and error pages to ``app``."""
    from webapp.pages import routers

    for router in routers():
        app.include_router(router, prefix=PREFIX, include_in_schema=False)
    app.mount(f"{PREFIX}/static", CachedStaticFiles(directory=STATIC), name="webapp-static")
    handlers: dict[Any, Any] = {
        LoginRequiredError: _login_redirect,
        RoleRequiredError: _forbidden,
        CsrfError: _csrf,
    }
    for exc, handler in handlers.items():
        app.add_exception_handler(exc, handler)
