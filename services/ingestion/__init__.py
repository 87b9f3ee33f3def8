"""Ingestion API: ``POST /events`` validates LearningEvents / xAPI statements and produces them
with delivery confirmation (202 only once the broker acknowledged; 503 + Retry-After when it
cannot be reached). Mount :data:`router` in an app; :func:`readiness_check` probes the broker.
"""

from __future__ import annotations

from fastapi import FastAPI

from learnloop.web import ReadinessCheck
from services.ingestion.deps import service_for
from services.ingestion.routes import router

__all__ = ["mount", "readiness_check", "router"]


def readiness_check(app: FastAPI) -> ReadinessCheck:
    """Readiness probe of the broker behind ``app``'s ingestion service."""

    async def probe() -> bool:
        return await service_for(app).available()

    return ReadinessCheck("kafka", probe)


def mount(app: FastAPI) -> FastAPI:
    """Add the ingestion routes to ``app``."""
    app.include_router(router)
    return app
