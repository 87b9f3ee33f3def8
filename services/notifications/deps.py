"""NS dependencies: the notification service and the delivery worker."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.common.deps import PlatformDep
from services.notifications.delivery import Deliverer
from services.notifications.service import NotificationService

SERVICE = "notifications.service"
DELIVERER = "notifications.deliverer"


def get_service(platform: PlatformDep) -> NotificationService:
    """Inbox, preferences, unsubscribe."""
    return platform.resource(SERVICE, NotificationService)


def get_deliverer(platform: PlatformDep) -> Deliverer:
    """The outbox worker (admin retries)."""
    return platform.resource(DELIVERER, Deliverer)


ServiceDep = Annotated[NotificationService, Depends(get_service)]
DelivererDep = Annotated[Deliverer, Depends(get_deliverer)]
