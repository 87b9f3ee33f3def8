"""Dead-letter publishing: the original payload, untouched, plus why and where it came from.

Headers on every dead letter: ``dlq.reason`` (the validation error, naming each bad field),
``dlq.source.topic``, ``dlq.source.partition``, ``dlq.source.offset``, ``dlq.group`` and
``dlq.failed_at`` (ISO 8601); the original key and headers are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Message

from features.streaming.metrics import CONSUMED, DEAD_LETTERS
from features.streaming.producer import Delivery, EventProducer, OutgoingMessage
from features.streaming.topics import dead_letter_topic
from learnloop.settings import KafkaSettings

REASON_HEADER = "dlq.reason"
MAX_REASON = 2000


@dataclass(frozen=True)
class DeadLetter:
    """A consumed message that cannot be processed, and why."""

    message: Message
    reason: str


def header(message: Message, name: str) -> str | None:
    """Value of header ``name`` of a consumed message, decoded as UTF-8."""
    raw = message.headers() or []
    headers: list[tuple[str, Any]] = list(raw.items() if isinstance(raw, dict) else raw)
    for key, value in headers:
        if key == name and value is not None:
            return value.decode() if isinstance(value, bytes) else str(value)
    return None


def source_of(message: Message) -> tuple[str, int, int]:
    """``(topic, partition, offset)`` of a consumed message."""
    return message.topic() or "", message.partition() or 0, message.offset() or 0


class DeadLetterPublisher:
    """Send dead letters to ``<source topic><dead_letter_suffix>`` and wait for the broker."""

    def __init__(self, kafka: KafkaSettings, producer: EventProducer, *, group_id: str):
        self.kafka = kafka
        self.producer = producer
        self.group_id = group_id

    def publish(self, letters: Sequence[DeadLetter]) -> list[Delivery]:
        """Publish and confirm every dead letter (raises ``DeliveryError`` otherwise)."""
        if not letters:
            return []
        failed_at = datetime.now(UTC).isoformat()
        outgoing = []
        for letter in letters:
            m = letter.message
            topic, partition, offset = source_of(m)
            headers = [
                *(m.headers() or []),
                (REASON_HEADER, letter.reason[:MAX_REASON].encode()),
                ("dlq.source.topic", topic.encode()),
                ("dlq.source.partition", str(partition).encode()),
                ("dlq.source.offset", str(offset).encode()),
                ("dlq.group", self.group_id.encode()),
                ("dlq.failed_at", failed_at.encode()),
            ]
            outgoing.append(
                OutgoingMessage(
                    dead_letter_topic(self.kafka, topic), m.value() or b"", m.key(), headers
                )
            )
        deliveries = self.producer.send_all(outgoing)
        for letter in letters:
            topic = letter.message.topic() or ""
            DEAD_LETTERS.labels(self.group_id, topic).inc()
            CONSUMED.labels(self.group_id, topic, "dead_letter").inc()
        return deliveries
