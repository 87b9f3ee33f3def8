"""UMS as a service module, and standalone (``uvicorn services.users.app:create_app --factory``)."""

from __future__ import annotations

from fastapi import FastAPI

from learnloop.settings import Settings
from services.common.app import ServiceModule, standalone_app
from services.common.audit import AUDIT_TOPIC
from services.common.events import PRIVACY_RESULT_TOPIC, EventBus
from services.common.outbox import OutboxRelay
from services.common.platform import Platform
from services.common.privacy import subscribe_handler
from services.users import deps
from services.users.models import Outbox
from services.users.privacy import UsersSubjectHandler, record_access, record_result
from services.users.routes_auth import oidc_router
from services.users.routes_auth import router as auth_router
from services.users.routes_users import router as users_router
from services.users.service import FailureThrottle, Passwords
from services.users.throttle import RedisFailureThrottle
from services.users.tokens import AccessTokenIssuer


def login_throttle(settings: Settings) -> FailureThrottle | RedisFailureThrottle:
    """Failed-login throttle: in this process, or shared through Redis (``rate_limit``)."""
    limits = settings.rate_limit
    if limits.backend == "redis" and limits.redis_url:
        import redis

        client = redis.Redis.from_url(limits.redis_url)
        return RedisFailureThrottle(client, limits.login_failures_per_15min)
    return FailureThrottle(limits.login_failures_per_15min)


def setup(platform: Platform) -> None:
    """Token issuer, login throttle, outbox relay, privacy handler and result consumer."""
    settings = platform.settings
    platform.resources[deps.ISSUER] = AccessTokenIssuer(
        keys=platform.keys,
        issuer=settings.auth_issuer,
        audience=settings.auth.audience,
        ttl_s=settings.auth.access_token_ttl_s,
    )
    platform.resources[deps.PASSWORDS] = Passwords(
        time_cost=settings.auth.argon2_time_cost, memory_kib=settings.auth.argon2_memory_kib
    )
    platform.resources[deps.THROTTLE] = login_throttle(settings)
    relay = OutboxRelay(platform.db, Outbox, platform.bus)
    platform.resources[deps.OUTBOX] = relay
    platform.on_start.append(relay.start)
    platform.on_stop.append(relay.stop)
    handler = UsersSubjectHandler(platform.db)
    platform.resources[deps.SUBJECTS] = handler
    subscribe_handler(platform.bus, handler)
    platform.bus.subscribe(
        AUDIT_TOPIC, "users-audit", lambda payload: record_access(platform.db, payload)
    )
    platform.bus.subscribe(
        PRIVACY_RESULT_TOPIC,
        "users-privacy-results",
        lambda payload: record_result(platform.db, payload),
    )


MODULE = ServiceModule(name="users", routers=(oidc_router, auth_router, users_router), setup=setup)


def create_app(settings: Settings | None = None, *, bus: EventBus | None = None) -> FastAPI:
    """The users service on its own (same paths as behind the gateway)."""
    return standalone_app(MODULE, settings, title="learnloop users", bus=bus)
