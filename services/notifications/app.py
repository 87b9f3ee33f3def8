"""NS as a service module, and standalone (``services.notifications.app:create_app``)."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime

from fastapi import FastAPI

from learnloop.settings import Settings, get_settings
from services.common.app import ServiceModule, build_app
from services.common.platform import Platform
from services.common.privacy import subscribe_handler
from services.common.privacy_routes import privacy_router
from services.notifications import deps
from services.notifications.channels import EmailSender
from services.notifications.delivery import Deliverer, WebhookSender
from services.notifications.models import Channel, Delivery
from services.notifications.privacy import NotificationSubjectHandler
from services.notifications.routes import router
from services.notifications.service import NotificationService
from services.notifications.triggers import Triggers

SUBJECTS = "notifications.subjects"
CONSUMER_GROUP = "notifications"
STREAK_SCAN_S = 3600.0


def signing_secret(platform: Platform) -> bytes:
    """The configured signing secret, else one derived from the deployment's pseudonym key."""
    configured = platform.settings.notifications.signing_secret
    if configured is not None:
        return configured.get_secret_value().encode()
    return hashlib.sha256(b"learnloop-notifications\x00" + platform.pseudonym_secret).digest()


class StreakScanner:
    """Runs :meth:`Triggers.scan_streaks` every hour (idempotent per day)."""

    def __init__(self, triggers: Triggers, interval_s: float = STREAK_SCAN_S) -> None:
        self.triggers, self.interval_s = triggers, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="streak-scan", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.triggers.scan_streaks(datetime.now(UTC).date())

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def setup(platform: Platform) -> None:
    """Service, delivery worker, event triggers and the streak scan."""
    settings = platform.settings
    subjects = NotificationSubjectHandler(platform.db)
    platform.resources[SUBJECTS] = subjects
    subscribe_handler(platform.bus, subjects)
    ns = settings.notifications
    secret = signing_secret(platform)
    allow_private = settings.env != "production"
    deliverer = Deliverer(
        platform.db,
        Delivery,
        {
            Channel.EMAIL.value: EmailSender(ns, settings.mail_dir),
            Channel.WEBHOOK.value: WebhookSender(
                secret, timeout_s=ns.http_timeout_s, allow_private=allow_private
            ),
        },
        max_attempts=ns.max_attempts,
        base_s=ns.backoff_base_s,
        cap_s=ns.backoff_max_s,
        poll_s=ns.poll_interval_s,
    )
    service = NotificationService(
        platform.db,
        signing_secret=secret,
        base_url=settings.api_base_url,
        on_enqueued=deliverer.kick,
        allow_private_webhooks=allow_private,
    )
    triggers = Triggers(service, platform.db)
    platform.bus.subscribe(
        settings.kafka.progress_update_topic, CONSUMER_GROUP, triggers.handle_progress
    )
    platform.bus.subscribe(
        settings.kafka.learning_event_topic, CONSUMER_GROUP, triggers.handle_learning
    )
    scanner = StreakScanner(triggers)
    platform.resources[deps.SERVICE] = service
    platform.resources[deps.DELIVERER] = deliverer
    platform.resources["notifications.triggers"] = triggers
    platform.on_start.extend([deliverer.start, scanner.start])
    platform.on_stop.extend([deliverer.stop, scanner.stop])


MODULE = ServiceModule(
    name="notifications",
    routers=(router, privacy_router("/notifications", "notifications", SUBJECTS)),
    setup=setup,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """NS on its own."""
    platform = Platform.from_settings(settings or get_settings())
    return build_app([MODULE], platform, title="learnloop notifications", service="notifications")
