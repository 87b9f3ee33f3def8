"""A producer that sends at a fixed pace and records which messages the broker acknowledged
(for fault tests: what was acknowledged must be stored, whatever happens meanwhile)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import Future

from features.streaming import Delivery, DeliveryError, EventProducer
from learnloop.settings import KafkaSettings


def produce_paced(
    kafka: KafkaSettings,
    topic: str,
    messages: Sequence[tuple[str, bytes, str | None]],
    acked: list[str],
    *,
    pause_s: float,
) -> None:
    """Send ``(id, value, key)`` messages ``pause_s`` apart; append each acknowledged id."""
    with EventProducer(kafka, delivery_timeout_s=30) as producer:
        pending: list[tuple[str, Future[Delivery]]] = []
        for message_id, value, key in messages:
            pending.append((message_id, producer.send(topic, value, key=key)))
            time.sleep(pause_s)
        for message_id, future in pending:
            try:
                future.result(timeout=90)
                acked.append(message_id)
            except DeliveryError:
                pass
