"""Build a FastAPI app with learnloop's standard plumbing (used by every service)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.middleware import Middleware

from learnloop.web.dberrors import DEFAULT_RETRY_AFTER_S, install_database_error_handlers
from learnloop.web.health import ReadinessCheck, health_router
from learnloop.web.metrics import MetricsMiddleware, metrics_router
from learnloop.web.middleware import RequestContextMiddleware
from learnloop.web.openapi import install_openapi
from learnloop.web.problems import install_problem_handlers
from learnloop.web.security import SecurityHeadersMiddleware

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]


def create_service_app(
    *,
    title: str,
    service: str,
    version: str,
    description: str = "",
    routers: Sequence[APIRouter] = (),
    checks: Sequence[ReadinessCheck] = (),
    lifespan: Lifespan | None = None,
    middleware: Sequence[Middleware] = (),
    db_retry_after_s: int = DEFAULT_RETRY_AFTER_S,
    telemetry: dict[str, Any] | None = None,
) -> FastAPI:
    """A FastAPI app with problem-details errors, request ids, RED metrics, security headers,
    health probes and an OpenAPI document whose error responses are problem+json.

    ``middleware`` (outermost first) runs inside request-id, security-header and metrics
    middleware, so its responses (401, 429, CORS preflight) get request ids and are counted.
    ``telemetry``: FastAPI's native OpenTelemetry options (off where the host server traces).
    """
    app = FastAPI(
        title=title,
        version=version,
        description=description,
        lifespan=lifespan,
        telemetry=telemetry,  # type: ignore[arg-type]
    )
    install_problem_handlers(app)
    install_database_error_handlers(app, retry_after_s=db_retry_after_s)
    for item in reversed(middleware):
        app.add_middleware(item.cls, *item.args, **item.kwargs)
    app.add_middleware(MetricsMiddleware, service=service)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health_router(checks))
    app.include_router(metrics_router())
    for router in routers:
        app.include_router(router)
    install_openapi(app)
    return app
