"""At-least-once batch consumer: offsets are committed only after the handler made a batch
durable.

The loop buffers messages until ``batch_size`` or ``flush_interval_s``, hands the batch to the
handler, and commits ``offset + 1`` per partition synchronously once the handler returned. If the
handler raises, the loop seeks back to the first offset of the batch and retries after a
backoff, so nothing is skipped; effects must therefore be idempotent (key them on ``event_id``).
On a rebalance the buffered batch is flushed before partitions are given up.

A consumer with local state (the feature consumer) can instead own a fixed
:class:`PartitionSlice` of every topic: no group rebalance then ever moves a partition, and with it
the state built from it, to another process. It starts each partition where its state says it
applied up to (``start_positions``), or at the beginning of the retained log for a partition the
state has never seen (a new or lost volume rebuilds from the topic); offsets are still committed
under ``group_id`` for lag monitoring.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicPartition,
)

from features.streaming.metrics import BATCH_SECONDS, BATCHES, CONSUMER_LAG, forget_lag
from learnloop.settings import KafkaSettings

logger = logging.getLogger(__name__)


class BatchHandler(Protocol):
    """Makes a batch of messages durable; raising means "retry this batch"."""

    def __call__(self, messages: Sequence[Message]) -> None: ...


class MissingTopicError(RuntimeError):
    """A consumer with a fixed partition slice was started before its topic exists."""


@dataclass(frozen=True)
class PartitionSlice:
    """Instance ``index`` of ``count`` owns the partitions ``p`` with ``p % count == index``."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(f"slice index {self.index} is not in 0..{self.count - 1}")

    def owns(self, partition: int) -> bool:
        """Whether ``partition`` belongs to this slice."""
        return partition % self.count == self.index

    @property
    def label(self) -> str:
        """Name of the slice in file names and store names: ``"<index>-of-<count>"``."""
        return f"{self.index}-of-{self.count}"


def consumer_config(
    kafka: KafkaSettings, group_id: str, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """librdkafka consumer settings: manual commits, start at the earliest offset."""
    return {
        **kafka.client_config(),
        "group.id": group_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": kafka.session_timeout_ms,
        "heartbeat.interval.ms": kafka.heartbeat_interval_ms,
        "max.poll.interval.ms": 300_000,
        "fetch.wait.max.ms": 100,
        "reconnect.backoff.max.ms": 1000,
        "logger": logging.getLogger("librdkafka"),
        **(overrides or {}),
    }


def tune_gc() -> None:
    """Make Python's GC cheaper for batch work (full collections dominate parse time)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


class BatchConsumer:
    """Consume ``topics`` as ``group_id`` and feed batches to a handler (see module docstring)."""

    def __init__(
        self,
        kafka: KafkaSettings,
        *,
        group_id: str,
        topics: Sequence[str],
        batch_size: int = 5000,
        flush_interval_s: float = 1.0,
        retry_backoff_s: float = 1.0,
        config: Mapping[str, Any] | None = None,
        on_revoke: Callable[[list[TopicPartition]], None] | None = None,
        on_assign: Callable[[list[TopicPartition]], None] | None = None,
        partition_slice: PartitionSlice | None = None,
        start_positions: Callable[[], Mapping[tuple[str, int], int]] | None = None,
        metadata_timeout_s: float = 10.0,
    ):
        self.group_id = group_id
        self.topics = list(topics)
        self.batch_size = batch_size
        self.flush_interval_s = flush_interval_s
        self.retry_backoff_s = retry_backoff_s
        self.on_revoke = on_revoke
        self.on_assign = on_assign
        self.partition_slice = partition_slice
        self.start_positions = start_positions
        self.metadata_timeout_s = metadata_timeout_s
        self._consumer = Consumer(consumer_config(kafka, group_id, config))
        self._stop = threading.Event()
        self._buffer: list[Message] = []
        self._handler: BatchHandler | None = None
        self.assignment: list[TopicPartition] = []
        self.committed_batches = 0

    def stop(self) -> None:
        """Ask the loop to flush what it holds, commit and return (thread- and signal-safe)."""
        self._stop.set()

    def run(self, handler: BatchHandler, *, idle_exit_s: float | None = None) -> None:
        """Consume until :meth:`stop` (or ``idle_exit_s`` seconds without messages)."""
        self._handler = handler
        if self.partition_slice is None:
            self._consumer.subscribe(
                self.topics, on_assign=self._assigned, on_revoke=self._revoked, on_lost=self._lost
            )
        else:
            self._assign_slice(self.partition_slice)
        first_at = 0.0
        idle_since = time.monotonic()
        try:
            while not self._stop.is_set():
                wait = self.flush_interval_s
                if self._buffer:
                    wait = max(0.0, first_at + self.flush_interval_s - time.monotonic())
                room = max(1, min(self.batch_size - len(self._buffer), 10_000))
                messages = self._consumer.consume(num_messages=room, timeout=min(wait, 0.5))
                good = [m for m in messages if not self._is_error(m)]
                if good:
                    if not self._buffer:
                        first_at = time.monotonic()
                    self._buffer.extend(good)
                    idle_since = time.monotonic()
                elif not self.assignment:
                    idle_since = time.monotonic()  # joining the group is not idleness
                elif (
                    idle_exit_s is not None
                    and not self._buffer
                    and time.monotonic() - idle_since > idle_exit_s
                ):
                    break
                full = len(self._buffer) >= self.batch_size
                due = self._buffer and time.monotonic() - first_at >= self.flush_interval_s
                if full or due:
                    self._flush()
            self._flush()
        finally:
            self._consumer.close()

    # -- internals ---------------------------------------------------------------------------
    def _is_error(self, message: Message) -> bool:
        error = message.error()
        if error is None:
            return False
        if error.code() != KafkaError._PARTITION_EOF:
            logger.warning("consumer %s: %s", self.group_id, error.str())
        return True

    def _flush(self) -> bool:
        batch, self._buffer = self._buffer, []
        if not batch or self._handler is None:
            return True
        started = time.perf_counter()
        try:
            self._handler(batch)
        except Exception:
            logger.exception("batch of %d failed in %s; will retry", len(batch), self.group_id)
            BATCHES.labels(self.group_id, "retried").inc()
            self._rewind(batch)
            self._stop.wait(self.retry_backoff_s)
            return False
        BATCH_SECONDS.labels(self.group_id).observe(time.perf_counter() - started)
        self._commit(batch)
        self._record_lag(batch)
        BATCHES.labels(self.group_id, "committed").inc()
        self.committed_batches += 1
        return True

    @staticmethod
    def _positions(batch: Sequence[Message], *, first: bool) -> list[TopicPartition]:
        seen: dict[tuple[str, int], int] = {}
        for m in batch if first else reversed(batch):
            key = (m.topic() or "", m.partition() or 0)
            if key not in seen:  # offsets grow within a partition: first / last occurrence
                seen[key] = m.offset() or 0
        return [TopicPartition(t, p, o if first else o + 1) for (t, p), o in seen.items()]

    def _commit(self, batch: Sequence[Message]) -> None:
        try:
            self._consumer.commit(offsets=self._positions(batch, first=False), asynchronous=False)
        except KafkaException as exc:
            # The batch is durable; a lost commit only means redelivery, which is deduplicated.
            logger.warning("offset commit failed in %s: %s", self.group_id, exc)

    def _rewind(self, batch: Sequence[Message]) -> None:
        for position in self._positions(batch, first=True):
            try:
                self._consumer.seek(position)
            except KafkaException as exc:  # partition no longer ours: the new owner re-reads it
                logger.info("cannot seek %s: %s", position, exc)

    def _record_lag(self, batch: Sequence[Message]) -> None:
        for position in self._positions(batch, first=False):
            try:
                _low, high = self._consumer.get_watermark_offsets(position, cached=True)
            except KafkaException:
                continue
            if high >= 0:
                CONSUMER_LAG.labels(self.group_id, position.topic, str(position.partition)).set(
                    max(0, high - position.offset)
                )

    def _assign_slice(self, part: PartitionSlice) -> None:
        """Own ``part`` of every topic, each partition from ``start_positions`` or its beginning
        (partitions added to a topic later are picked up on restart)."""
        metadata = self._consumer.list_topics(timeout=self.metadata_timeout_s)
        starts = self.start_positions() if self.start_positions else {}
        owned = []
        for topic in self.topics:
            found = metadata.topics.get(topic)
            if found is None or found.error is not None or not found.partitions:
                raise MissingTopicError(
                    f"topic {topic!r} not found: create it first (learnloop ingest topics)"
                )
            owned += [
                TopicPartition(topic, p, starts.get((topic, p), OFFSET_BEGINNING))
                for p in sorted(found.partitions)
                if part.owns(p)
            ]
        if not owned:
            logger.warning("%s slice %s owns no partition", self.group_id, part.label)
        self._consumer.assign(owned)
        self._assigned(self._consumer, owned)

    def _assigned(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self.assignment = list(partitions)
        logger.info("%s assigned %s", self.group_id, [p.partition for p in partitions])
        if self.on_assign is not None:
            self.on_assign(partitions)

    def _revoked(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if self._buffer and not self._flush():
            self._buffer = []  # not durable: the next owner of these partitions re-reads them
        self._release(partitions)

    def _lost(self, _consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._buffer = []
        self._release(partitions)

    def _release(self, partitions: list[TopicPartition]) -> None:
        """Forget partitions we no longer own, and their lag series (the new owner reports it)."""
        if self.on_revoke is not None:
            self.on_revoke(partitions)
        for p in partitions:
            forget_lag(self.group_id, p.topic, p.partition)
        self.assignment = []
