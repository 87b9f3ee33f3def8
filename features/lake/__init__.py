"""Data lake I/O: partitioned parquet through a pyarrow filesystem (local folder or S3)."""

from features.lake.filesystem import LakeLocation, open_lake
from features.lake.schema import EVENTS_DATASET, EVENTS_SCHEMA, events_from_table, events_to_table
from features.lake.store import Lake, WriteResult

__all__ = [
    "EVENTS_DATASET",
    "EVENTS_SCHEMA",
    "Lake",
    "LakeLocation",
    "WriteResult",
    "events_from_table",
    "events_to_table",
    "open_lake",
]
