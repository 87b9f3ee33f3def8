"""The gateway ASGI app (``uvicorn services.gateway.app:create_app --factory``).

Locally one process serves every platform service under its path prefix (``/auth``,
``/users``, ``/catalog``, ``/lti``, ``/assessments``, ``/progress``, ...); in Kubernetes each
service runs its own ``create_app`` and an ingress routes by the same prefixes. The gateway
verifies bearer tokens once, rate-limits per client IP and per user (429 + Retry-After),
sets request ids, CORS and security headers, answers every error as an RFC 9457 problem, and
serves one OpenAPI document for all services.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from learnloop.log import configure_logging
from learnloop.settings import Settings, get_settings
from learnloop.web import MemoryRateLimiter, RateLimiter, RateLimitMiddleware, RedisRateLimiter
from services.common.app import ServiceModule, build_app
from services.common.events import EventBus
from services.common.platform import Platform
from services.gateway.auth import BearerAuthMiddleware
from services.gateway.clients import client_ip_key, user_key
from services.gateway.recommendations import ResProxy
from services.gateway.recommendations import router as recommendations_router

DESCRIPTION = (
    "learnloop platform API: identity (OIDC issuer, RBAC), content catalog (SCORM, LTI 1.3), "
    "assessments, progress, events, recommendations and learning paths. Authenticate with "
    "`POST /auth/token` and send `Authorization: Bearer <access_token>`. Errors are RFC 9457 "
    "problem details."
)


def service_modules() -> list[ServiceModule]:
    """Every platform service served by the gateway."""
    from services import ingestion
    from services.analytics import app as analytics
    from services.assessments import app as assessments
    from services.catalog import app as catalog
    from services.common import data_platform
    from services.integrations import app as integrations
    from services.notifications import app as notifications
    from services.progress import app as progress
    from services.users import app as users
    from serving.lps import privacy as learning_paths

    return [
        users.MODULE,
        catalog.MODULE,
        assessments.MODULE,
        progress.MODULE,
        ServiceModule(name="ingestion", routers=(ingestion.router,)),  # POST /events (issue 6)
        analytics.MODULE,
        notifications.MODULE,
        integrations.MODULE,
        data_platform.MODULE,
        learning_paths.MODULE,
    ]


def rate_limiter(settings: Settings) -> RateLimiter:
    """The configured rate-limit backend."""
    if settings.rate_limit.backend == "redis":
        import redis

        if not settings.rate_limit.redis_url:
            raise ValueError("rate_limit.redis_url is required with the redis backend")
        return RedisRateLimiter(redis.Redis.from_url(settings.rate_limit.redis_url))
    return MemoryRateLimiter()


def gateway_middleware(settings: Settings, platform: Platform) -> list[Middleware]:
    """CORS, per-IP limit, token verification, per-user limit (outermost first); the body
    limit and the learner-record audit are added by ``build_app`` for every service app."""
    middleware = [
        Middleware(
            CORSMiddleware,
            allow_origins=settings.api.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After", "ETag", "Location"],
            max_age=600,
        ),
    ]
    limits = settings.rate_limit
    limiter = rate_limiter(settings) if limits.enabled else None
    if limiter is not None:
        middleware.append(
            Middleware(
                RateLimitMiddleware,
                limiter=limiter,
                key=client_ip_key(limits.trusted_proxies),
                per_minute=limits.per_ip_per_minute,
            )
        )
    middleware.append(Middleware(BearerAuthMiddleware, verify=platform.verifier.verify))
    if limiter is not None:
        middleware.append(
            Middleware(
                RateLimitMiddleware,
                limiter=limiter,
                key=user_key,
                per_minute=limits.per_user_per_minute,
            )
        )
    return middleware


def create_gateway(
    settings: Settings,
    *,
    modules: Sequence[ServiceModule] | None = None,
    bus: EventBus | None = None,
    http_transport: httpx.AsyncBaseTransport | None = None,
    migrate: bool = True,
) -> FastAPI:
    """The gateway app for ``settings`` (tests pass their own bus or HTTP transport)."""
    platform = Platform.from_settings(settings, bus=bus, http_transport=http_transport)
    app = build_app(
        service_modules() if modules is None else modules,
        platform,
        title="learnloop API",
        service="gateway",
        description=DESCRIPTION,
        migrate=migrate,
        middleware=gateway_middleware(settings, platform),
    )
    from webapp.mount import mount_webapp  # the web front end under /app (issue 12)

    mount_webapp(app)
    app.state.res_proxy = ResProxy.from_settings(settings)  # POST /recommendations (issue 13)
    app.include_router(recommendations_router)
    if http_transport is None:
        # Service-to-service calls stay in this process but still pass the whole gateway.
        platform.http_transport = httpx.ASGITransport(app=app)
    return app


def create_app() -> FastAPI:
    """Build the gateway app from settings."""
    settings = get_settings()
    configure_logging(settings.log_level, json_output=settings.log_json)
    return create_gateway(settings)
