"""Which event ids a dataset already holds, per (day, shard), for exactly-once sinks.

The lake itself is the source of truth: the id set of a (day, shard) is read lazily from the
``event_id`` column of that day's files tagged with the shard (the Kafka partition — a retried
event keeps its learner id, so its key, so its partition). Nothing else is persisted, so the
index survives ``kill -9`` by construction; memory is bounded by an LRU of ``max_entries`` sets,
and each sink instance only loads the shards (partitions) it owns.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from features.lake.store import Lake, shard_of


class EventIdIndex:
    """Event ids already published in ``dataset``, by ``(event_date, shard)``."""

    def __init__(self, lake: Lake, dataset: str, *, max_entries: int = 256):
        self.lake = lake
        self.dataset = dataset
        self.max_entries = max_entries
        self._sets: OrderedDict[tuple[str, int], set[str]] = OrderedDict()

    def ids(self, day: str, shard: int) -> set[str]:
        """The id set of one (day, shard), loading it from the lake on first use."""
        key = (day, shard)
        found = self._sets.get(key)
        if found is None:
            found = self._load(day, shard)
            self._sets[key] = found
            while len(self._sets) > self.max_entries:
                self._sets.popitem(last=False)
        else:
            self._sets.move_to_end(key)
        return found

    def new_rows(self, ids: Sequence[str], days: Sequence[str], shards: Sequence[int]) -> list[int]:
        """Positions of rows whose id is neither in the lake nor earlier in this batch."""
        keep = []
        batch: set[str] = set()
        for position, (event_id, day, shard) in enumerate(zip(ids, days, shards, strict=True)):
            if event_id in batch or event_id in self.ids(day, shard):
                continue
            batch.add(event_id)
            keep.append(position)
        return keep

    def add(self, ids: Iterable[str], days: Iterable[str], shards: Iterable[int]) -> None:
        """Record ids that were just published."""
        for event_id, day, shard in zip(ids, days, shards, strict=True):
            self.ids(day, shard).add(event_id)

    def forget(self, shards: Iterable[int]) -> None:
        """Drop cached sets of shards this process no longer owns (after a rebalance)."""
        gone = set(shards)
        for key in [k for k in self._sets if k[1] in gone]:
            del self._sets[key]

    def _load(self, day: str, shard: int) -> set[str]:
        files = [
            f for f in self.lake.files(self.dataset, f"event_date={day}") if shard_of(f) == shard
        ]
        ids: set[str] = set()
        for path in files:
            column: pa.ChunkedArray = pq.read_table(
                path, columns=["event_id"], filesystem=self.lake.filesystem
            ).column(0)
            ids.update(column.to_pylist())
        return ids
