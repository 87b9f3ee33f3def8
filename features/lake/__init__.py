"""Data lake I/O: partitioned parquet through a pyarrow filesystem (local folder or S3).

Writes publish atomically (:mod:`features.lake.txn`), the stream sink is exactly-once
(:mod:`features.lake.sink`), small files get compacted and a learner can be erased
(:mod:`features.lake.maintenance`).
"""

from features.lake.filesystem import LakeLocation, open_lake
from features.lake.schema import (
    EVENT_PARTITIONS,
    EVENTS_DATASET,
    EVENTS_SCHEMA,
    PROGRESS_DATASET,
    PROGRESS_PARTITIONS,
    PROGRESS_SCHEMA,
    events_from_table,
    events_to_table,
    progress_to_table,
)
from features.lake.store import Lake, WriteResult, shard_of
from features.lake.txn import ConflictError

__all__ = [
    "EVENTS_DATASET",
    "EVENTS_SCHEMA",
    "EVENT_PARTITIONS",
    "PROGRESS_DATASET",
    "PROGRESS_PARTITIONS",
    "PROGRESS_SCHEMA",
    "ConflictError",
    "Lake",
    "LakeLocation",
    "WriteResult",
    "events_from_table",
    "events_to_table",
    "open_lake",
    "progress_to_table",
    "shard_of",
]
