"""Create the platform's topics (and their dead-letter topics) idempotently from settings."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from confluent_kafka import KafkaError, KafkaException, TopicCollection
from confluent_kafka.admin import AdminClient, NewTopic

from learnloop.settings import KafkaSettings

logger = logging.getLogger(__name__)
NULL_TOPIC_ID = "AAAAAAAAAAAAAAAAAAAAAA"  # the null UUID in base64: a broker without topic ids


@dataclass(frozen=True)
class TopicSpec:
    """A topic to create: name, partition count, replication factor and topic configs."""

    name: str
    partitions: int
    replication_factor: int = 1
    config: dict[str, str] = field(default_factory=dict)


def dead_letter_topic(kafka: KafkaSettings, topic: str) -> str:
    """Name of the dead-letter topic of ``topic`` (``<topic><dead_letter_suffix>``)."""
    return f"{topic}{kafka.dead_letter_suffix}"


def platform_topics(kafka: KafkaSettings) -> list[TopicSpec]:
    """``LearningEventStream``, ``ProgressUpdateEvent`` and their dead-letter topics."""
    specs = []
    for topic in (kafka.learning_event_topic, kafka.progress_update_topic):
        specs.append(TopicSpec(topic, kafka.partitions, kafka.replication_factor))
        specs.append(
            TopicSpec(
                dead_letter_topic(kafka, topic),
                kafka.dead_letter_partitions,
                kafka.replication_factor,
            )
        )
    return specs


def ensure_topics(
    kafka: KafkaSettings, specs: list[TopicSpec] | None = None, *, timeout: float = 30.0
) -> dict[str, int]:
    """Create missing topics; existing ones are left alone. Returns name → partition count.

    Raises ``RuntimeError`` naming the broker when it cannot be reached within ``timeout``.
    A topic that exists with fewer partitions than asked is kept (adding partitions would move
    keys between partitions) and logged as a warning.
    """
    specs = platform_topics(kafka) if specs is None else specs
    admin = AdminClient(dict(kafka.client_config()))
    try:
        existing = admin.list_topics(timeout=timeout).topics
    except KafkaException as exc:
        raise RuntimeError(
            f"cannot reach the Kafka broker at {kafka.bootstrap_servers}: {exc}"
        ) from None
    missing = [s for s in specs if s.name not in existing]
    if missing:
        futures = admin.create_topics(
            [
                NewTopic(s.name, s.partitions, s.replication_factor, config=dict(s.config))
                for s in missing
            ],
            operation_timeout=timeout,
            request_timeout=timeout,
        )
        for name, future in futures.items():
            try:
                future.result(timeout=timeout)
                logger.info("created topic %s", name)
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise RuntimeError(f"cannot create topic {name}: {exc}") from None
    counts = {
        name: len(meta.partitions)
        for name, meta in admin.list_topics(timeout=timeout).topics.items()
        if name in {s.name for s in specs}
    }
    for spec in specs:
        if counts.get(spec.name, spec.partitions) < spec.partitions:
            logger.warning(
                "topic %s has %d partitions, settings ask for %d; left unchanged",
                spec.name,
                counts[spec.name],
                spec.partitions,
            )
    return counts


def topic_ids(
    kafka: KafkaSettings, topics: Sequence[str], *, timeout: float = 10.0
) -> dict[str, str]:
    """The broker's id of each topic (KIP-516: a topic deleted and created again, or held by an
    in-memory broker that restarted, gets a new id while its offsets start again at 0).

    Topics the broker cannot describe, or describes without an id, are left out.
    """
    admin = AdminClient(dict(kafka.client_config()))
    futures = admin.describe_topics(TopicCollection(list(topics)), request_timeout=timeout)
    ids = {}
    for name, future in futures.items():
        try:
            found = str(future.result(timeout=timeout).topic_id or "")
        except KafkaException as exc:
            logger.warning("cannot describe topic %s: %s", name, exc)
            continue
        if found and found != NULL_TOPIC_ID:
            ids[name] = found
    return ids
