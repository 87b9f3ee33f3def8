"""ARS as a service module, and standalone (``services.analytics.app:create_app``, factory)."""

from __future__ import annotations

from fastapi import FastAPI

from learnloop.resources import lake_from_settings
from learnloop.settings import Settings, get_settings
from services.analytics import deps
from services.analytics.engine import AnalyticsEngine
from services.analytics.routes import router
from services.analytics.service import StaffDirectory
from services.common.app import ServiceModule, build_app
from services.common.platform import Platform


def setup(platform: Platform) -> None:
    """The report engine over the configured lake, and the staff directory."""
    platform.resources[deps.ENGINE] = AnalyticsEngine(lake_from_settings(platform.settings))
    platform.resources[deps.STAFF] = StaffDirectory(platform.db)


MODULE = ServiceModule(name="analytics", routers=(router,), setup=setup)


def create_app(settings: Settings | None = None) -> FastAPI:
    """ARS on its own."""
    platform = Platform.from_settings(settings or get_settings())
    return build_app([MODULE], platform, title="learnloop analytics", service="analytics")
