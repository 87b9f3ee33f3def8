"""The gateway ASGI app (``uvicorn services.gateway.app:create_app --factory``)."""

from __future__ import annotations

from fastapi import FastAPI

from learnloop import __version__
from learnloop.log import configure_logging
from learnloop.settings import get_settings
from learnloop.web import create_service_app
from services import ingestion


def create_app() -> FastAPI:
    """Build the gateway app from settings."""
    settings = get_settings()
    configure_logging(settings.log_level, json_output=settings.log_json)
    return create_service_app(
        title="learnloop API",
        service="gateway",
        version=__version__,
        description="learnloop platform API: events, catalog, assessments, progress, "
        "recommendations and learning paths.",
        routers=[ingestion.router],
    )
