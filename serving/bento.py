"""What RES and LPS do alike inside a BentoML worker: logging, process defaults, app set-up."""

from __future__ import annotations

import gc
import logging
import os
from typing import Any

from fastapi import FastAPI

from learnloop.log import configure_logging
from learnloop.settings import Settings


def prepare_worker(settings: Settings) -> None:
    """learnloop's JSON logs only (BentoML's root handler would print every line twice; the
    mounted app writes one access line per request), no MLflow download progress bars."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    configure_logging(settings.log_level, json_output=settings.log_json)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if not getattr(handler, "_learnloop", False):
            root.removeHandler(handler)
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


# BentoML's middleware already traces (OpenTelemetry) and measures every request; FastAPI's
# native telemetry would add a second server span and operation spans to each request.
HOSTED_TELEMETRY: dict[str, bool] = {"tracing": False, "metrics": False, "logs": False}


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


def settle_heap() -> None:
    """Move everything alive after start-up (models, registry, server objects) out of the
    garbage collector's way: a full collection otherwise walks ~0.5 M long-lived objects
    (~0.3 s, a latency spike) while requests wait."""
    gc.collect()
    gc.freeze()
