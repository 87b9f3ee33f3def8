"""Integrations as a service module, and standalone (``services.integrations.app:create_app``)."""

from __future__ import annotations

from fastapi import FastAPI

from learnloop.settings import Settings, get_settings
from services.common.app import ServiceModule, build_app
from services.common.platform import Platform
from services.common.privacy import subscribe_handler
from services.common.privacy_routes import privacy_router
from services.integrations import deps
from services.integrations.crm import CrmNotifier, LifecycleFromEvents
from services.integrations.models import CrmDelivery
from services.integrations.privacy import IntegrationSubjectHandler
from services.integrations.routes import router
from services.integrations.stripe_webhooks import StripeWebhooks
from services.notifications.app import signing_secret
from services.notifications.delivery import Deliverer, WebhookSender

SUBJECTS = "integrations.subjects"
CONSUMER_GROUP = "integrations-crm"


def setup(platform: Platform) -> None:
    """Stripe handler (when a secret is set), CRM notifier, its delivery worker and consumer."""
    settings = platform.settings
    subjects = IntegrationSubjectHandler(platform.db)
    platform.resources[SUBJECTS] = subjects
    subscribe_handler(platform.bus, subjects)
    config = settings.integrations
    ns = settings.notifications
    crm = CrmNotifier(config.crm_webhook_url)
    if config.stripe_webhook_secret is not None:
        platform.resources[deps.STRIPE] = StripeWebhooks(
            platform.db,
            secret=config.stripe_webhook_secret.get_secret_value(),
            tolerance_s=config.stripe_tolerance_s,
            crm=crm,
        )
    if config.crm_webhook_url:
        secret = (
            config.crm_webhook_secret.get_secret_value().encode()
            if config.crm_webhook_secret is not None
            else signing_secret(platform)
        )
        deliverer = Deliverer(
            platform.db,
            CrmDelivery,
            {"webhook": WebhookSender(secret, timeout_s=ns.http_timeout_s)},
            max_attempts=ns.max_attempts,
            base_s=ns.backoff_base_s,
            cap_s=ns.backoff_max_s,
            poll_s=ns.poll_interval_s,
        )
        lifecycle = LifecycleFromEvents(platform.db, crm)
        platform.bus.subscribe(
            settings.kafka.learning_event_topic, CONSUMER_GROUP, lifecycle.handle
        )
        platform.resources[deps.CRM_DELIVERER] = deliverer
        platform.on_start.append(deliverer.start)
        platform.on_stop.append(deliverer.stop)


MODULE = ServiceModule(
    name="integrations",
    routers=(router, privacy_router("/integrations", "integrations", SUBJECTS)),
    setup=setup,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Integrations on their own."""
    platform = Platform.from_settings(settings or get_settings())
    return build_app([MODULE], platform, title="learnloop integrations", service="integrations")
