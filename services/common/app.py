"""Compose services into an app: one service standalone, or all of them behind the gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from anyio import to_thread
from fastapi import APIRouter, FastAPI
from starlette.middleware import Middleware

from learnloop import __version__
from learnloop.settings import Settings
from learnloop.web import ReadinessCheck, create_service_app
from learnloop.web.security_limits import body_limit_middleware
from services.common.audit import LearnerAccessAuditMiddleware
from services.common.errors import install_domain_error_handler
from services.common.events import EventBus
from services.common.migrate import upgrade_database
from services.common.platform import Platform


def _no_setup(platform: Platform) -> None:
    return None


@dataclass(frozen=True)
class ServiceModule:
    """A service: its routers, and how it prepares its resources on a :class:`Platform`."""

    name: str
    routers: Sequence[APIRouter]
    setup: Callable[[Platform], None] = _no_setup
    checks: Callable[[Platform], Sequence[ReadinessCheck]] = field(default=lambda _p: ())


def database_check(platform: Platform) -> ReadinessCheck:
    """Readiness of the relational database."""

    async def probe() -> bool:
        return await to_thread.run_sync(platform.db.ping)

    return ReadinessCheck("database", probe)


def build_app(
    modules: Sequence[ServiceModule],
    platform: Platform,
    *,
    title: str,
    service: str,
    description: str = "",
    migrate: bool = True,
    middleware: Sequence[Middleware] = (),
) -> FastAPI:
    """A FastAPI app serving ``modules`` on ``platform``.

    Startup migrates the database (all service branches) when ``migrate``, then runs the
    services' start hooks (content import, outbox relays, consumers); shutdown reverses it.
    """
    for module in modules:
        module.setup(platform)
    checks = [database_check(platform)]
    available = getattr(platform.bus, "available", None)
    if callable(available):

        async def broker() -> bool:
            return bool(await to_thread.run_sync(available))

        checks.append(ReadinessCheck("event_bus", broker))
    for module in modules:
        checks.extend(module.checks(platform))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await to_thread.run_sync(upgrade_database, platform.db.url)
        await to_thread.run_sync(platform.start)
        try:
            yield
        finally:
            await to_thread.run_sync(platform.stop)

    app = create_service_app(
        title=title,
        service=service,
        version=__version__,
        description=description,
        routers=[router for module in modules for router in module.routers],
        checks=checks,
        lifespan=lifespan,
        middleware=[
            body_limit_middleware(platform.settings),  # 413 before anything reads a body
            *middleware,
            Middleware(LearnerAccessAuditMiddleware, platform=platform),
        ],
        db_retry_after_s=platform.settings.db.retry_after_s,
    )
    install_domain_error_handler(app)
    app.state.platform = platform
    return app


def standalone_app(
    module: ServiceModule,
    settings: Settings | None = None,
    *,
    title: str,
    bus: EventBus | None = None,
) -> FastAPI:
    """One service on its own platform (how each runs in Kubernetes, routed by prefix)."""
    from learnloop.settings import get_settings

    platform = Platform.from_settings(settings or get_settings(), bus=bus)
    return build_app([module], platform, title=title, service=module.name)
