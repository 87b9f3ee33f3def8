"""Privacy handlers of the data platform's stores (lake, feature store) for the erasure fan-out.

The deletions themselves are the data platform's (:mod:`features.lake.maintenance`,
:mod:`features.feature_repo`); these handlers only subscribe them to ``DataSubjectRequest``
so an erasure reaches every store. Locally the gateway process runs them; in Kubernetes the
ingestion deployment would.
"""

from __future__ import annotations

import logging
from typing import Any

import pyarrow.dataset as ds

from features.lake import (
    EVENT_PARTITIONS,
    EVENTS_DATASET,
    EVENTS_SCHEMA,
    PROGRESS_DATASET,
    PROGRESS_PARTITIONS,
    PROGRESS_SCHEMA,
    Lake,
)
from features.lake.maintenance import delete_learner
from learnloop.settings import Settings
from services.common.app import ServiceModule
from services.common.platform import Platform
from services.common.privacy import subscribe_handler

logger = logging.getLogger(__name__)
EXPORT_LIMIT = 50_000
DATASETS = (
    (EVENTS_DATASET, EVENTS_SCHEMA, EVENT_PARTITIONS),
    (PROGRESS_DATASET, PROGRESS_SCHEMA, PROGRESS_PARTITIONS),
)


def lake_of(settings: Settings) -> Lake:
    """The configured lake (local folder or S3)."""
    lake = settings.lake
    return Lake.from_uri(
        settings.lake_uri,
        s3_endpoint=lake.s3_endpoint,
        s3_region=lake.s3_region,
        s3_access_key=lake.s3_access_key.get_secret_value() if lake.s3_access_key else None,
        s3_secret_key=lake.s3_secret_key.get_secret_value() if lake.s3_secret_key else None,
    )


class LakeSubjectHandler:
    """Deletes a learner's rows from the lake's events and progress datasets."""

    store = "lake"

    def __init__(self, settings: Settings):
        self.settings = settings

    def export_subject(self, subject_id: str) -> dict[str, Any]:
        lake = lake_of(self.settings)
        out: dict[str, Any] = {}
        for dataset, schema, _ in DATASETS:
            table = lake.read_table(
                dataset, filter=ds.field("learner_id") == subject_id, schema=schema
            )
            out[dataset] = table.slice(0, EXPORT_LIMIT).to_pylist()
            out[f"{dataset}_total"] = table.num_rows
        return out

    def erase_subject(self, subject_id: str, pseudonym: str) -> dict[str, int]:
        lake = lake_of(self.settings)
        counts = {}
        for dataset, schema, partitions in DATASETS:
            result = delete_learner(
                lake, dataset, subject_id, schema=schema, partition_cols=partitions
            )
            counts[f"{dataset}_rows_deleted"] = result.removed
        return counts


class FeatureStoreSubjectHandler:
    """Deletes a learner's online feature rows and consumer state (when a store exists here)."""

    store = "feature_store"

    def __init__(self, settings: Settings):
        self.settings = settings

    def export_subject(self, subject_id: str) -> dict[str, Any]:
        return {}

    def erase_subject(self, subject_id: str, pseudonym: str) -> dict[str, int]:
        counts = {"online_rows_deleted": 0, "state_files_cleared": 0}
        if (self.settings.feature_repo_path / "registry.db").exists():
            from features.feature_repo.store import delete_online_rows, open_store

            counts["online_rows_deleted"] = delete_online_rows(
                open_store(self.settings), "learner_id", subject_id
            )
        from features.feature_repo.consumer import StateStore

        for path in self.settings.state_path.glob("*.sqlite"):
            state = StateStore(path)
            try:
                state.forget_learner(subject_id)
                counts["state_files_cleared"] += 1
            finally:
                state.close()
        return counts


def setup(platform: Platform) -> None:
    """Subscribe the lake and feature-store handlers to erasure requests."""
    subscribe_handler(platform.bus, LakeSubjectHandler(platform.settings))
    subscribe_handler(platform.bus, FeatureStoreSubjectHandler(platform.settings))


MODULE = ServiceModule(name="data-platform-privacy", routers=(), setup=setup)
