"""Kafka → lake sink: exactly-once rows from at-least-once delivery.

For each batch handed over by :class:`features.streaming.BatchConsumer`: parse every message
(invalid ones go to the dead-letter topic with the reason and the untouched payload), drop
events whose ``event_id`` is already in the lake or earlier in the batch
(:class:`EventIdIndex`), publish the rest atomically as parquet tagged with their Kafka partition,
then return — and only then does the consumer commit the offsets. A crash anywhere before the
commit replays the batch; the replay finds the published ids and writes nothing twice.
Partitions touched by a batch are compacted once they hold ``compact_min_files`` files.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from confluent_kafka import Message, TopicPartition

from features.events import LearningEvent, ProgressUpdateEvent
from features.lake.dedupe import EventIdIndex
from features.lake.maintenance import compact
from features.lake.schema import (
    EVENT_PARTITIONS,
    EVENTS_DATASET,
    EVENTS_SCHEMA,
    PROGRESS_DATASET,
    PROGRESS_PARTITIONS,
    PROGRESS_SCHEMA,
    events_to_table,
    progress_to_table,
)
from features.lake.store import Lake, shard_of
from features.streaming import DeadLetterPublisher, decode_batch
from features.streaming.codec import parse_learning_bytes, parse_progress_bytes
from features.streaming.metrics import CONSUMED

logger = logging.getLogger(__name__)
_DAY = re.compile(r"/event_date=([0-9-]+)/")


@dataclass(frozen=True)
class SinkSpec:
    """How one topic lands in one lake dataset."""

    dataset: str
    schema: pa.Schema
    partition_cols: tuple[str, ...]
    parse: Callable[[bytes], Any]
    to_table: Callable[[Iterable[Any]], pa.Table]


LEARNING_EVENTS_SINK = SinkSpec(
    EVENTS_DATASET, EVENTS_SCHEMA, EVENT_PARTITIONS, parse_learning_bytes, events_to_table
)
PROGRESS_SINK = SinkSpec(
    PROGRESS_DATASET, PROGRESS_SCHEMA, PROGRESS_PARTITIONS, parse_progress_bytes, progress_to_table
)


@dataclass
class SinkStats:
    """Running totals of one sink process."""

    written: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    files_written: int = 0
    compacted_files: int = 0


class LakeSink:
    """Batch handler writing one topic into the lake (see module docstring)."""

    def __init__(
        self,
        lake: Lake,
        spec: SinkSpec,
        *,
        dead_letters: DeadLetterPublisher,
        group_id: str,
        compact_min_files: int = 16,
        index_entries: int = 256,
    ):
        self.lake = lake
        self.spec = spec
        self.dead_letters = dead_letters
        self.group_id = group_id
        self.compact_min_files = compact_min_files
        self.index = EventIdIndex(lake, spec.dataset, max_entries=index_entries)
        self.stats = SinkStats()
        self._files_since_compaction: dict[tuple[str, int], int] = {}
        lake.recover(spec.dataset)

    def __call__(self, messages: Sequence[Message]) -> None:
        decoded = decode_batch(messages, self.spec.parse)
        if decoded.events:
            self._write(decoded.events, [m.partition() or 0 for m in decoded.messages], messages)
        self.dead_letters.publish(decoded.dead_letters)
        self.stats.dead_letters += len(decoded.dead_letters)

    def on_assign(self, partitions: list[TopicPartition]) -> None:
        """Taking over partitions: settle a dead writer's half-published batches of their shards
        (so the replay sees exactly what the lake holds), and read their ids afresh."""
        shards = {p.partition for p in partitions}
        self.lake.recover(self.spec.dataset, shards=shards)
        self.index.forget(shards)

    def on_revoke(self, partitions: list[TopicPartition]) -> None:
        """Forget cached ids of partitions handed to another instance."""
        self.index.forget(p.partition for p in partitions)

    def _write(
        self,
        events: list[LearningEvent] | list[ProgressUpdateEvent],
        shards: list[int],
        messages: Sequence[Message],
    ) -> None:
        table = self.spec.to_table(events)
        ids = table.column("event_id").to_pylist()
        days = table.column("event_date").to_pylist()
        keep = self.index.new_rows(ids, days, shards)
        duplicates = len(ids) - len(keep)
        topic = messages[0].topic() or ""
        if duplicates:
            CONSUMED.labels(self.group_id, topic, "duplicate").inc(duplicates)
            self.stats.duplicates += duplicates
        if not keep:
            return
        if len(keep) < len(ids):
            table = table.take(pa.array(keep))
            shards = [shards[i] for i in keep]
        shard_column = pa.array(shards, pa.int32())
        with self.lake.staged_writer(
            self.spec.dataset,
            partition_cols=self.spec.partition_cols,
            batch_id=_batch_id(messages),
        ) as writer:
            for shard in sorted(set(shards)):
                writer.write(table.filter(pc.equal(shard_column, shard)), shard=shard)
        kept_ids = [ids[i] for i in keep]
        kept_days = [days[i] for i in keep]
        self.index.add(kept_ids, kept_days, shards)
        self.stats.written += len(keep)
        CONSUMED.labels(self.group_id, topic, "ok").inc(len(keep))
        self.stats.files_written += len(writer.result.files)
        self._maybe_compact(writer.result.files)

    def _maybe_compact(self, new_files: list[str]) -> None:
        due = set()
        for path in new_files:
            found = _DAY.search(path)
            key = (found.group(1) if found else "", shard_of(path) or 0)
            count = self._files_since_compaction.get(key, 0) + 1
            self._files_since_compaction[key] = count
            if count >= self.compact_min_files:
                due.add(key)
        for day, shard in sorted(due):
            result = compact(
                self.lake,
                self.spec.dataset,
                schema=self.spec.schema,
                partition_cols=self.spec.partition_cols,
                under=f"event_date={day}",
                min_files=self.compact_min_files,
                shards={shard},
            )
            self._files_since_compaction[(day, shard)] = 0
            self.stats.compacted_files += result.replaced
            if result.replaced:
                logger.info(
                    "compacted %d files into %d (%s, shard %d)",
                    result.replaced,
                    result.written,
                    day,
                    shard,
                )


def _batch_id(messages: Sequence[Message]) -> str:
    """Deterministic id of a batch (a retry of the same batch overwrites its own files)."""
    first, last = messages[0], messages[-1]
    spec = f"{first.topic()}:{first.partition()}:{first.offset()}"
    spec += f":{last.partition()}:{last.offset()}"
    return f"{hashlib.sha1(spec.encode(), usedforsecurity=False).hexdigest()[:16]}-{len(messages)}"
