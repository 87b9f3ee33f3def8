"""Build a FastAPI app with learnloop's standard plumbing (used by every service)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI

from learnloop.web.health import ReadinessCheck, health_router
from learnloop.web.metrics import MetricsMiddleware, metrics_router
from learnloop.web.middleware import RequestContextMiddleware
from learnloop.web.problems import install_problem_handlers


def create_service_app(
    *,
    title: str,
    service: str,
    version: str,
    description: str = "",
    routers: Sequence[APIRouter] = (),
    checks: Sequence[ReadinessCheck] = (),
) -> FastAPI:
    """A FastAPI app with problem-details errors, request ids, RED metrics and health probes."""
    app = FastAPI(title=title, version=version, description=description)
    install_problem_handlers(app)
    app.add_middleware(MetricsMiddleware, service=service)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(health_router(checks))
    app.include_router(metrics_router())
    for router in routers:
        app.include_router(router)
    return app
