"""The event bus on Kafka, built on the shared plumbing of :mod:`features.streaming`.

``publish`` waits for the broker's acknowledgement (idempotent producer, ``acks=all``).
Each consumer group runs one :class:`~features.streaming.BatchConsumer` thread; a batch's
offsets are committed only after every handler ran, a failing handler makes the batch retry,
and a message a handler rejects as malformed (:class:`PoisonMessageError`, pydantic
``ValidationError``) goes to the topic's dead-letter topic with the reason.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Sequence

from confluent_kafka import Message
from pydantic import ValidationError

from features.events import EventValidationError
from features.streaming import (
    BatchConsumer,
    DeadLetter,
    DeadLetterPublisher,
    EventProducer,
    TopicSpec,
    dead_letter_topic,
    ensure_topics,
    platform_topics,
)
from learnloop.settings import KafkaSettings
from services.common.events import PRIVACY_REQUEST_TOPIC, PRIVACY_RESULT_TOPIC, Handler

logger = logging.getLogger(__name__)
SERVICE_TOPICS = (PRIVACY_REQUEST_TOPIC, PRIVACY_RESULT_TOPIC)


class PoisonMessageError(ValueError):
    """A message that can never be processed (dead-lettered instead of retried)."""


POISON = (PoisonMessageError, ValidationError, EventValidationError, UnicodeDecodeError)


class KafkaEventBus:
    """Publish with delivery confirmation; consume per group in background threads."""

    synchronous = False

    def __init__(
        self,
        kafka: KafkaSettings,
        *,
        delivery_timeout_s: float = 10.0,
        batch_size: int = 500,
        flush_interval_s: float = 0.2,
        namespace: str = "",
    ):
        self.kafka = kafka
        self.namespace = namespace
        self.delivery_timeout_s = delivery_timeout_s
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self._producer: EventProducer | None = None
        self._groups: dict[str, dict[str, list[Handler]]] = defaultdict(lambda: defaultdict(list))
        self._consumers: list[tuple[BatchConsumer, threading.Thread]] = []
        self._lock = threading.Lock()

    @property
    def producer(self) -> EventProducer:
        """The shared producer (created on first use)."""
        with self._lock:
            if self._producer is None:
                self._producer = EventProducer(
                    self.kafka, delivery_timeout_s=self.delivery_timeout_s, client_id="services"
                )
            return self._producer

    def _topic(self, topic: str) -> str:
        """The services' own topics and all group ids carry the namespace (isolated tests)."""
        return f"{self.namespace}{topic}" if topic in SERVICE_TOPICS else topic

    def publish(self, topic: str, key: str, value: bytes) -> None:
        future = self.producer.send(self._topic(topic), value, key=key)
        future.result(timeout=self.delivery_timeout_s + 5.0)

    def subscribe(self, topic: str, group: str, handler: Handler) -> None:
        self._groups[f"{self.namespace}{group}"][self._topic(topic)].append(handler)

    def topics(self) -> list[TopicSpec]:
        """Platform topics plus the services' own (and their dead-letter topics)."""
        specs = platform_topics(self.kafka)
        for topic in SERVICE_TOPICS:
            name = self._topic(topic)
            specs.append(TopicSpec(name, self.kafka.partitions, self.kafka.replication_factor))
            specs.append(
                TopicSpec(dead_letter_topic(self.kafka, name), 1, self.kafka.replication_factor)
            )
        return specs

    def start(self) -> None:
        """Create topics, then one consumer thread per subscribed group."""
        ensure_topics(self.kafka, self.topics())
        for group, handlers in self._groups.items():
            consumer = BatchConsumer(
                self.kafka,
                group_id=group,
                topics=sorted(handlers),
                batch_size=self.batch_size,
                flush_interval_s=self.flush_interval_s,
            )
            dead_letters = DeadLetterPublisher(self.kafka, self.producer, group_id=group)
            handle = _batch_handler(group, handlers, dead_letters)
            thread = threading.Thread(
                target=consumer.run, args=(handle,), name=f"consumer-{group}", daemon=True
            )
            thread.start()
            self._consumers.append((consumer, thread))

    def stop(self) -> None:
        """Stop the consumers (each flushes and commits), then flush the producer."""
        for consumer, _thread in self._consumers:
            consumer.stop()
        for _consumer, thread in self._consumers:
            thread.join(timeout=15)
        self._consumers.clear()
        if self._producer is not None:
            self._producer.close()
            self._producer = None

    def available(self) -> bool:
        """True when the broker answers (readiness)."""
        return self.producer.available(timeout=1.0)

    @property
    def consumers(self) -> list[BatchConsumer]:
        """The running consumers (for readiness and tests)."""
        return [consumer for consumer, _ in self._consumers]


def _batch_handler(
    group: str, handlers: dict[str, list[Handler]], dead_letters: DeadLetterPublisher
) -> object:
    def handle(messages: Sequence[Message]) -> None:
        letters = []
        for message in messages:
            value = message.value()
            for handler in handlers.get(message.topic() or "", []):
                try:
                    if value is None:
                        raise PoisonMessageError("(root): empty message value")
                    handler(value)
                except POISON as exc:
                    logger.warning("%s: dead-lettering a message: %s", group, exc)
                    letters.append(DeadLetter(message, f"{type(exc).__name__}: {exc}"))
                    break
        dead_letters.publish(letters)

    return handle
