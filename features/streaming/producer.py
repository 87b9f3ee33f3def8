"""Idempotent Kafka producer with delivery confirmation (sync, batch and asyncio).

A message counts as handed on only when the broker acknowledged it (``acks=all``): every send
returns a future that resolves to a :class:`Delivery` (topic, partition, offset) or fails with
:class:`DeliveryError` — :class:`BrokerUnavailableError` when the broker could not be reached
within ``delivery_timeout_s``. A background thread serves delivery reports.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from features.streaming.metrics import PRODUCED
from learnloop.settings import KafkaSettings

logger = logging.getLogger(__name__)
Headers = Sequence[tuple[str, bytes | str]]
_UNAVAILABLE = {
    KafkaError._MSG_TIMED_OUT,
    KafkaError._TRANSPORT,
    KafkaError._ALL_BROKERS_DOWN,
    KafkaError._TIMED_OUT,
    KafkaError.REQUEST_TIMED_OUT,
    KafkaError.NOT_ENOUGH_REPLICAS,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError.NOT_LEADER_FOR_PARTITION,
}


@dataclass(frozen=True)
class Delivery:
    """Where the broker stored a message."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to produce; ``key`` picks the partition (use the learner id)."""

    topic: str
    value: bytes
    key: bytes | str | None = None
    headers: Headers | None = None


class DeliveryError(RuntimeError):
    """The broker refused or never acknowledged a message."""


class BrokerUnavailableError(DeliveryError):
    """The broker could not be reached in time; retry later (HTTP 503)."""


def _error_for(error: KafkaError) -> DeliveryError:
    cls = BrokerUnavailableError if error.code() in _UNAVAILABLE else DeliveryError
    return cls(f"message not delivered: {error.str()}")


class EventProducer:
    """Thread-safe idempotent producer (``kafka.idempotent_producer``); ``close()`` it (or use
    ``with``) when done.

    ``delivery_timeout_s`` bounds how long a message may wait for the broker before it fails
    (librdkafka ``message.timeout.ms``); keep it short in request paths.
    """

    def __init__(
        self,
        kafka: KafkaSettings,
        *,
        delivery_timeout_s: float = 10.0,
        linger_ms: int = 5,
        client_id: str = "learnloop",
        config: Mapping[str, Any] | None = None,
    ):
        self.delivery_timeout_s = delivery_timeout_s
        self._config: dict[str, Any] = {
            **kafka.client_config(),
            "client.id": client_id,
            "enable.idempotence": kafka.idempotent_producer,
            "acks": "all",
            "linger.ms": linger_ms,
            "message.timeout.ms": int(delivery_timeout_s * 1000),
            "queue.buffering.max.messages": 500_000,
            "reconnect.backoff.max.ms": 1000,
            "error_cb": self._on_error,
            "logger": logging.getLogger("librdkafka"),
            **(config or {}),
        }
        self._producer = Producer(self._config)
        self._fatal: KafkaError | None = None
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._poller = threading.Thread(target=self._poll_loop, name="kafka-producer", daemon=True)
        self._poller.start()

    # -- sending -----------------------------------------------------------------------------
    def send(
        self,
        topic: str,
        value: bytes,
        *,
        key: bytes | str | None = None,
        headers: Headers | None = None,
    ) -> Future[Delivery]:
        """Produce one message; the future resolves once the broker acknowledged it."""
        future: Future[Delivery] = Future()

        def on_delivery(error: KafkaError | None, message: Message) -> None:
            if error is not None:
                PRODUCED.labels(topic, "failed").inc()
                future.set_exception(_error_for(error))
            else:
                PRODUCED.labels(topic, "delivered").inc()
                future.set_result(Delivery(topic, message.partition() or 0, message.offset() or 0))

        self._produce(topic, value, key, headers, on_delivery)
        return future

    def send_all(
        self, messages: Iterable[OutgoingMessage], *, timeout: float | None = None
    ) -> list[Delivery]:
        """Produce ``messages`` and wait until every one is acknowledged (in input order).

        Raises :class:`DeliveryError` (or :class:`BrokerUnavailableError`) if any failed.
        """
        futures = [self.send(m.topic, m.value, key=m.key, headers=m.headers) for m in messages]
        deadline = time.monotonic() + (timeout or self.delivery_timeout_s + 5.0)
        deliveries = []
        for future in futures:
            remaining = max(0.0, deadline - time.monotonic())
            try:
                deliveries.append(future.result(timeout=remaining))
            except TimeoutError:
                raise BrokerUnavailableError("broker did not acknowledge in time") from None
        return deliveries

    async def send_all_async(self, messages: Iterable[OutgoingMessage]) -> list[Delivery]:
        """Like :meth:`send_all` without blocking the event loop."""
        futures = [
            asyncio.wrap_future(self.send(m.topic, m.value, key=m.key, headers=m.headers))
            for m in messages
        ]
        try:
            return list(
                await asyncio.wait_for(
                    asyncio.gather(*futures), timeout=self.delivery_timeout_s + 5.0
                )
            )
        except TimeoutError:
            raise BrokerUnavailableError("broker did not acknowledge in time") from None

    def produce_nowait(
        self, topic: str, value: bytes, *, key: bytes | str | None = None, counter: Any = None
    ) -> None:
        """Fire-and-count produce for bulk loaders: ``counter(error_or_None)`` gets each report.

        Cheaper than :meth:`send` (no future per message); call :meth:`flush` to wait.
        """

        def on_delivery(error: KafkaError | None, _message: Message) -> None:
            if counter is not None:
                counter(error)

        self._produce(topic, value, key, None, on_delivery)

    def flush(self, timeout: float = 30.0) -> int:
        """Wait for outstanding messages; returns how many are still queued."""
        return int(self._producer.flush(timeout))

    def available(self, timeout: float = 2.0) -> bool:
        """True when the broker answers a metadata request within ``timeout`` seconds."""
        try:
            self._producer.list_topics(timeout=timeout)
        except Exception:
            return False
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Flush what is queued (up to ``timeout`` s) and stop the delivery thread."""
        if self._closed.is_set():
            return
        self.flush(timeout)
        self._closed.set()
        self._poller.join(timeout=2.0)

    def __enter__(self) -> EventProducer:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------
    def _produce(
        self,
        topic: str,
        value: bytes,
        key: bytes | str | None,
        headers: Headers | None,
        on_delivery: Any,
    ) -> None:
        if self._closed.is_set():
            raise DeliveryError("producer is closed")
        if self._fatal is not None:
            self._recreate()
        while True:
            try:
                self._producer.produce(
                    topic, value, key, headers=list(headers) if headers else None,
                    on_delivery=on_delivery,
                )  # fmt: skip
                return
            except BufferError:
                self._producer.poll(0.01)

    def _poll_loop(self) -> None:
        while not self._closed.is_set():
            self._producer.poll(0.05)

    def _on_error(self, error: KafkaError) -> None:
        if error.fatal():
            logger.error("fatal producer error, recreating the producer: %s", error.str())
            self._fatal = error
        else:
            logger.warning("kafka producer: %s", error.str())

    def _recreate(self) -> None:
        with self._lock:
            if self._fatal is None:
                return
            old = self._producer
            self._producer = Producer(self._config)
            self._fatal = None
        old.purge()
        old.flush(0)
