"""What RES and LPS do alike under BentoML: service config, logging, defaults, app set-up."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI

from learnloop import __version__
from learnloop.log import configure_logging
from learnloop.settings import Settings
from learnloop.web import ReadinessCheck, create_service_app
from learnloop.web.security_tls import bentoml_ssl_config


def service_config(settings: Settings) -> dict[str, Any]:
    """``@bentoml.service`` options shared by RES and LPS: worker count, a 30 s request
    timeout, no BentoML access log (learnloop logs one line per request) and HTTPS when
    ``security.tls_cert_file`` is set (also for a hand-typed ``bentoml serve``)."""
    config: dict[str, Any] = {
        "workers": settings.serving.workers,
        "traffic": {"timeout": 30},
        "logging": {"access": {"enabled": False}},
    }
    ssl = bentoml_ssl_config(settings)
    if ssl:
        config["ssl"] = ssl
    return config


def prepare_worker(settings: Settings) -> None:
    """learnloop's JSON logs only (BentoML's root handler would print every line twice; the
    mounted app writes one access line per request)."""
    configure_logging(settings.log_level, json_output=settings.log_json)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if not getattr(handler, "_learnloop", False):
            root.removeHandler(handler)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


# BentoML's middleware already traces (OpenTelemetry) and measures every request; FastAPI's
# native telemetry would add a second server span and operation spans to each request.
HOSTED_TELEMETRY: dict[str, bool] = {"tracing": False, "metrics": False, "logs": False}


def hosted_app(
    *,
    service: str,
    description: str,
    router: APIRouter,
    hot_path: str,
    state: str,
    check: str,
    ready: Callable[[Any], bool] = lambda value: True,
) -> FastAPI:
    """The learnloop app a BentoML service mounts: ``create_service_app`` (problem details,
    request ids, RED metrics) with BentoML's telemetry, ``hot_path``'s routes tried first and
    readiness check ``check`` passing once the worker has set ``app.state.<state>`` (None
    until then) and ``ready(that value)``."""

    async def probe() -> bool:
        value = getattr(app.state, state, None)
        return value is not None and ready(value)

    app = create_service_app(
        title=f"learnloop {service.upper()}",
        service=service,
        version=__version__,
        description=description,
        routers=[router],
        telemetry=HOSTED_TELEMETRY,
        checks=[ReadinessCheck(check, probe)],
    )
    serve_first(app, hot_path)
    setattr(app.state, state, None)
    return app


def serve_first(app: FastAPI, *paths: str) -> None:
    """Match the routes of ``paths`` before the others (docs, probes): BentoML's mount and the
    app's router try routes in order, and the hot routes are then the first tried."""

    def serves(route: Any) -> bool:
        if getattr(route, "path", None) in paths:
            return True
        included = getattr(route, "original_router", None)  # FastAPI's included routers
        return included is not None and any(serves(r) for r in included.routes)

    hot = [r for r in app.router.routes if serves(r)]
    app.router.routes[:] = hot + [r for r in app.router.routes if r not in hot]
