"""Helpers for tests against the real broker: settings, produce, committed offsets, read back."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

from confluent_kafka import Consumer, Message, TopicPartition

from features.events import LearningEvent
from features.streaming import EventProducer, OutgoingMessage, encode, ensure_topics
from learnloop.settings import KafkaSettings


def kafka_settings(port: int, **overrides: object) -> KafkaSettings:
    """Settings for a test broker, with unique topic names (tests share one broker)."""
    suffix = uuid.uuid4().hex[:8]
    values: dict[str, object] = {
        "bootstrap_servers": f"127.0.0.1:{port}",
        "session_timeout_ms": 6000,
        "heartbeat_interval_ms": 1000,
        "partitions": 3,
        "learning_event_topic": f"LearningEventStream-{suffix}",
        "progress_update_topic": f"ProgressUpdateEvent-{suffix}",
        **overrides,
    }
    kafka = KafkaSettings.model_validate(values)
    ensure_topics(kafka)
    return kafka


def kafka_env(kafka: KafkaSettings) -> dict[str, str]:
    """``LEARNLOOP_KAFKA__*`` variables that point a learnloop process at ``kafka``'s broker and
    topics (quick group joins, as in tests)."""
    return {
        "LEARNLOOP_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "LEARNLOOP_KAFKA__LEARNING_EVENT_TOPIC": kafka.learning_event_topic,
        "LEARNLOOP_KAFKA__PROGRESS_UPDATE_TOPIC": kafka.progress_update_topic,
        "LEARNLOOP_KAFKA__PARTITIONS": str(kafka.partitions),
        "LEARNLOOP_KAFKA__SESSION_TIMEOUT_MS": "6000",
        "LEARNLOOP_KAFKA__HEARTBEAT_INTERVAL_MS": "1000",
    }


def produce_events(
    kafka: KafkaSettings, events: Sequence[LearningEvent], *, raw: Sequence[bytes] = ()
) -> None:
    """Produce events (and raw payloads) to the learning-event topic; wait for the acks."""
    topic = kafka.learning_event_topic
    messages = [encode(e, topic) for e in events]
    messages += [OutgoingMessage(topic, value, key=f"raw-{i}") for i, value in enumerate(raw)]
    with EventProducer(kafka) as producer:
        producer.send_all(messages, timeout=60)


def committed(kafka: KafkaSettings, group: str, topic: str) -> int:
    """Sum over partitions of the offsets ``group`` committed on ``topic``.

    (tansu 0.6 answers ListOffsets(latest) with a stale value, so tests compare with the number
    of messages they produced instead of the end offsets.)
    """
    consumer = Consumer({**kafka.client_config(), "group.id": group})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        parts = [TopicPartition(topic, p) for p in partitions]
        return sum(max(0, tp.offset) for tp in consumer.committed(parts, timeout=10))
    finally:
        consumer.close()


def wait_caught_up(
    kafka: KafkaSettings, group: str, topic: str, messages: int, timeout: float = 90.0
) -> None:
    """Block until ``group`` committed ``messages`` messages of ``topic``."""
    deadline = time.monotonic() + timeout
    done = 0
    while time.monotonic() < deadline:
        done = committed(kafka, group, topic)
        if done >= messages:
            return
        time.sleep(0.2)
    raise TimeoutError(f"{group} committed {done} of {messages} messages on {topic}")


def read_all(kafka: KafkaSettings, topic: str, *, idle_s: float = 3.0) -> list[Message]:
    """Every message of ``topic`` (a fresh consumer group, from the beginning)."""
    consumer = Consumer(
        {
            **kafka.client_config(),
            "group.id": f"reader-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 1000,
        }
    )
    consumer.subscribe([topic])
    out: list[Message] = []
    last = time.monotonic()
    started = time.monotonic()
    try:
        while time.monotonic() - last < idle_s or (not out and time.monotonic() - started < 20):
            for m in consumer.consume(1000, timeout=0.5):
                if m.error() is None:
                    out.append(m)
                    last = time.monotonic()
    finally:
        consumer.close()
    return out
