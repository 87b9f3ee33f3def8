"""How services publish and consume events: one small interface, two backends.

``KafkaEventBus`` (in :mod:`services.common.kafka_bus`) runs on the shared Kafka plumbing of
``features.streaming``; :class:`InProcessEventBus` delivers synchronously inside one process
(single-process development and unit tests). Both give at-least-once delivery: ``publish``
returns only once the event is durable (broker acknowledged, or every handler ran), and
handlers must be idempotent on the event's id.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger(__name__)

Handler = Callable[[bytes], None]

# Topics owned by the platform services (the canonical learning topics live in KafkaSettings).
PRIVACY_REQUEST_TOPIC = "DataSubjectRequest"
PRIVACY_RESULT_TOPIC = "DataSubjectRequestResult"


@dataclass(frozen=True)
class Subscription:
    """A consumer group's handler for one topic."""

    topic: str
    group: str
    handler: Handler


class EventBus(Protocol):
    """Publish events with delivery confirmation; run subscribed handlers at least once."""

    synchronous: bool

    def publish(self, topic: str, key: str, value: bytes) -> None:
        """Deliver durably or raise."""

    def subscribe(self, topic: str, group: str, handler: Handler) -> None:
        """Run ``handler`` for every event of ``topic`` (once per consumer ``group``)."""

    def start(self) -> None:
        """Start consuming (no-op where delivery is synchronous)."""

    def stop(self) -> None:
        """Stop consuming and flush pending deliveries."""


class DeliveryError(RuntimeError):
    """An event could not be delivered (broker down, or a handler failed); retry later."""


class InProcessEventBus:
    """Synchronous delivery to the handlers subscribed in this process.

    A handler that raises makes ``publish`` raise :class:`DeliveryError` after the other
    handlers ran, so the publisher (an outbox) retries the event later: at-least-once.
    Every published event is also kept in ``history`` (topic, key, value) for inspection.
    """

    synchronous = True

    def __init__(self) -> None:
        self._handlers: dict[str, list[Subscription]] = defaultdict(list)
        self._lock = threading.RLock()
        self.history: list[tuple[str, str, bytes]] = []

    def publish(self, topic: str, key: str, value: bytes) -> None:
        with self._lock:
            self.history.append((topic, key, value))
            subscriptions = list(self._handlers[topic])
            failures = []
            for subscription in subscriptions:
                try:
                    subscription.handler(value)
                except Exception as exc:
                    logger.exception("handler of group %s failed on %s", subscription.group, topic)
                    failures.append(f"{subscription.group}: {exc}")
        if failures:
            raise DeliveryError(f"{topic}: " + "; ".join(failures))

    def subscribe(self, topic: str, group: str, handler: Handler) -> None:
        with self._lock:
            self._handlers[topic].append(Subscription(topic, group, handler))

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def published(self, topic: str) -> list[bytes]:
        """Values published to ``topic`` so far."""
        return [value for t, _, value in self.history if t == topic]
