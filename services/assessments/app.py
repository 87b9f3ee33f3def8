"""AS as a service module, and standalone (``services.assessments.app:create_app``, factory)."""

from __future__ import annotations

from fastapi import FastAPI

from learnloop.settings import Settings
from services.assessments import deps
from services.assessments.models import Outbox
from services.assessments.privacy import AssessmentsSubjectHandler
from services.assessments.routes import router
from services.common.app import ServiceModule, standalone_app
from services.common.events import EventBus
from services.common.outbox import OutboxRelay
from services.common.platform import Platform
from services.common.privacy import subscribe_handler
from services.common.privacy_routes import privacy_router


def setup(platform: Platform) -> None:
    """Outbox relay of LearningEvents and the privacy handler."""
    relay = OutboxRelay(platform.db, Outbox, platform.bus)
    platform.resources[deps.OUTBOX] = relay
    platform.on_start.append(relay.start)
    platform.on_stop.append(relay.stop)
    handler = AssessmentsSubjectHandler(platform.db)
    platform.resources[deps.SUBJECTS] = handler
    subscribe_handler(platform.bus, handler)


MODULE = ServiceModule(
    name="assessments",
    routers=(privacy_router("/assessments", "assessments", deps.SUBJECTS), router),
    setup=setup,
)


def create_app(settings: Settings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    """The assessments service on its own (same paths as behind the gateway)."""
    return standalone_app(MODULE, settings, title="learnloop assessments", bus=bus)
