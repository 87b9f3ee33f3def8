"""Privacy handlers of the data platform's stores (lake, feature store, training data): export
and erasure.

The deletions themselves are the data platform's (:mod:`features.lake.maintenance`,
:mod:`features.feature_repo`, :mod:`pipelines.privacy`); these handlers subscribe them to
``DataSubjectRequest`` so an erasure reaches every store, and serve each store's export at
``/data-platform/{lake,feature-store,training-data}/privacy/subjects/{subject_id}`` (self or
admin), which the identity service's ``/users/{id}/export`` gathers. Locally the gateway process
runs them; in Kubernetes the ingestion deployment would (ingress prefix ``/data-platform``).
Feature consumers on their own disks erase their state themselves
(:class:`ConsumerStateSubjectHandler`).

Exports are bounded: each list holds at most ``limit`` rows and says ``truncated`` when more
exist (the lake also gives the ``total``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.dataset as ds

from features.feature_repo.aggregates import LearnerActivity
from features.feature_repo.state import StateStore
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
from features.sql.feature_tables import FEATURE_TABLE_SCHEMAS, LEARNER_TABLES, delete_learner_rows
from learnloop.settings import Settings
from pipelines.privacy import dataset_roots, erase_learner, learner_datasets
from services.common.app import ServiceModule
from services.common.platform import Platform
from services.common.privacy import CONSUMER_STATE_STORE, SubjectDataHandler, subscribe_handler
from services.common.privacy_routes import privacy_router

if TYPE_CHECKING:
    from feast import FeatureStore

    from features.feature_repo.consumer import FeatureConsumer

logger = logging.getLogger(__name__)
EXPORT_LIMIT = 50_000
LAKE_SUBJECTS = "data_platform.lake_subjects"
FEATURE_STORE_SUBJECTS = "data_platform.feature_store_subjects"
TRAINING_DATA_SUBJECTS = "data_platform.training_data_subjects"
DATASETS = (
    (EVENTS_DATASET, EVENTS_SCHEMA, EVENT_PARTITIONS),
    (PROGRESS_DATASET, PROGRESS_SCHEMA, PROGRESS_PARTITIONS),
)
_EPOCH = date(1970, 1, 1)


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


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """A parquet row with its timestamps as ISO 8601 strings (JSON-compatible)."""
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in row.items()}


def lake_rows(
    lake: Lake, dataset: str, schema: pa.Schema, subject_id: str, *, limit: int
) -> dict[str, Any]:
    """Up to ``limit`` of the subject's rows in a lake dataset, and the total."""
    data = lake.dataset(dataset, schema) if lake.exists(dataset) else None
    return subject_rows(data, subject_id, limit=limit)


def subject_rows(data: ds.Dataset | None, subject_id: str, *, limit: int) -> dict[str, Any]:
    """Up to ``limit`` rows of ``data`` with ``learner_id == subject_id`` (read no further),
    JSON-compatible, with the total and whether the list was cut."""
    if data is None:
        return {"rows": [], "total": 0, "truncated": False}
    mine = ds.field("learner_id") == subject_id
    total = data.count_rows(filter=mine)
    rows = data.head(limit, filter=mine).to_pylist() if total else []
    return {"rows": [_plain(r) for r in rows], "total": total, "truncated": total > len(rows)}


class LakeSubjectHandler:
    """Exports and deletes a learner's rows in the lake's events and progress datasets."""

    store = "lake"

    def __init__(self, settings: Settings, *, limit: int = EXPORT_LIMIT):
        self.settings = settings
        self.limit = limit

    def export_subject(self, subject_id: str) -> dict[str, Any]:
        lake = lake_of(self.settings)
        return {
            dataset: lake_rows(lake, dataset, schema, subject_id, limit=self.limit)
            for dataset, schema, _ in DATASETS
        }

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
    """Exports and deletes a learner's online feature rows (Feast, keyed by ``learner_id``), the
    rows of the offline feature tables (``<feature_offline_path>/<table>/*.parquet``) and the
    feature consumers' state (``<state_path>/*.sqlite``; erased here only with
    ``security.consumer_state_erasure: gateway``, else by :class:`ConsumerStateSubjectHandler`
    in each consumer)."""

    store = "feature_store"

    def __init__(self, settings: Settings, *, limit: int = EXPORT_LIMIT):
        self.settings = settings
        self.limit = limit

    def export_subject(self, subject_id: str) -> dict[str, Any]:
        online: list[dict[str, Any]] = []
        cut = False
        store = self._feature_store()
        if store is not None:
            from features.feature_repo.store import read_online_rows

            online, cut = read_online_rows(store, "learner_id", subject_id, limit=self.limit)
        states = []
        for path, state in self._state_stores():
            found = state_record(path.name, state.learner_record(subject_id, limit=self.limit))
            if found is not None:
                states.append(found)
        offline = {
            name: subject_rows(_offline_table(folder, name), subject_id, limit=self.limit)
            for name, folder in self._offline_tables()
        }
        return {
            "online": {"rows": online, "truncated": cut},
            "offline": offline,
            "consumer_state": states,
        }

    def erase_subject(self, subject_id: str, pseudonym: str) -> dict[str, int]:
        counts = {"online_rows_deleted": 0, "offline_rows_deleted": 0}
        store = self._feature_store()
        if store is not None:
            from features.feature_repo.store import delete_online_rows

            counts["online_rows_deleted"] = delete_online_rows(store, "learner_id", subject_id)
        counts["offline_rows_deleted"] = delete_learner_rows(
            self.settings.feature_offline_path, subject_id
        )
        if self.settings.security.consumer_state_erasure == "gateway":
            counts["state_files_cleared"] = 0
            for _path, state in self._state_stores():
                state.forget_learner(subject_id)
                counts["state_files_cleared"] += 1
        return counts

    def _offline_tables(self) -> list[tuple[str, Path]]:
        root = self.settings.feature_offline_path
        return [(name, root / name) for name in LEARNER_TABLES]

    def _feature_store(self) -> FeatureStore | None:
        """The Feast store to read and erase online rows in (see ``open_reading_store``); Feast
        is imported only when there is one."""
        from features.feature_repo.store import open_reading_store

        return open_reading_store(self.settings)

    def _state_stores(self) -> Iterator[tuple[Path, StateStore]]:
        for path in sorted(self.settings.state_path.glob("*.sqlite")):
            state = StateStore(path)
            try:
                yield path, state
            finally:
                state.close()


class TrainingDataSubjectHandler:
    """Exports and deletes a learner's rows in the training pipeline's datasets: every parquet
    file with a ``learner_id`` column under the pipeline's outputs and a local MLflow artifact
    store (events snapshot, training set, feature tables, predictions, drift reference); see
    :mod:`pipelines.privacy`."""

    store = "training_data"

    def __init__(self, settings: Settings, *, limit: int = EXPORT_LIMIT):
        self.settings = settings
        self.limit = limit

    def export_subject(self, subject_id: str) -> dict[str, Any]:
        files = []
        for source, root in dataset_roots(self.settings).items():
            for path in learner_datasets([root]):
                data = ds.dataset(path, format="parquet")
                found = subject_rows(data, subject_id, limit=self.limit)
                if found["total"]:
                    where = {"source": source, "path": path.relative_to(root).as_posix()}
                    files.append(where | found)
        return {"files": files}

    def erase_subject(self, subject_id: str, pseudonym: str) -> dict[str, int]:
        erased = erase_learner(dataset_roots(self.settings).values(), subject_id)
        return {"files_rewritten": erased.files_rewritten, "rows_deleted": erased.rows_deleted}


class ConsumerStateSubjectHandler:
    """A feature consumer's own state (``security.consumer_state_erasure: consumer``): run in the
    consumer process, which answers for the state on its disk as ``store``
    (``feature_consumer_state``, or ``feature_consumer_state-<index>`` for a partition slice)."""

    def __init__(
        self,
        consumer: FeatureConsumer,
        *,
        name: str,
        store: str = CONSUMER_STATE_STORE,
        limit: int = EXPORT_LIMIT,
    ):
        self.consumer = consumer
        self.name = name
        self.store = store
        self.limit = limit

    def export_subject(self, subject_id: str) -> dict[str, Any]:
        found = state_record(self.name, self.consumer.learner_record(subject_id, limit=self.limit))
        return {"consumer_state": [] if found is None else [found]}

    def erase_subject(self, subject_id: str, pseudonym: str) -> dict[str, int]:
        return self.consumer.forget_learner(subject_id)


def state_record(
    name: str, record: tuple[LearnerActivity | None, list[tuple[str, str]], bool]
) -> dict[str, Any] | None:
    """A consumer state's record of a learner (:meth:`StateStore.learner_record`), JSON-ready;
    None when it holds nothing about them."""
    activity, mastery, more = record
    if activity is None and not mastery:
        return None
    return {
        "file": name,
        "activity": None if activity is None else _activity(activity),
        "mastery": {
            "rows": [{"skill_id": s, "updated_at": ts} for s, ts in mastery],
            "truncated": more,
        },
    }


def _offline_table(folder: Path, name: str) -> ds.Dataset | None:
    """An offline feature table (parquet folder, Feast's file offline store), if built."""
    if not any(folder.glob("*.parquet")):
        return None
    return ds.dataset(folder, format="parquet", schema=FEATURE_TABLE_SCHEMAS[name])


def _activity(activity: LearnerActivity) -> dict[str, Any]:
    """A consumer's aggregates of a learner: the features and the per-day buckets behind them."""
    days = {
        (_EPOCH + timedelta(days=day)).isoformat(): {"attempts": bucket[0], "correct": bucket[1]}
        for day, bucket in sorted(activity.days.items())
    }
    return {**activity.features(), "days": days}


def setup(platform: Platform) -> None:
    """Register the lake, feature-store and training-data handlers (export routes) and
    subscribe them to erasure requests."""
    handlers: dict[str, SubjectDataHandler] = {
        LAKE_SUBJECTS: LakeSubjectHandler(platform.settings),
        FEATURE_STORE_SUBJECTS: FeatureStoreSubjectHandler(platform.settings),
        TRAINING_DATA_SUBJECTS: TrainingDataSubjectHandler(platform.settings),
    }
    for resource, handler in handlers.items():
        platform.resources[resource] = handler
        subscribe_handler(platform.bus, handler)


MODULE = ServiceModule(
    name="data-platform-privacy",
    routers=(
        privacy_router("/data-platform/lake", "lake", LAKE_SUBJECTS),
        privacy_router("/data-platform/feature-store", "feature-store", FEATURE_STORE_SUBJECTS),
        privacy_router("/data-platform/training-data", "training-data", TRAINING_DATA_SUBJECTS),
    ),
    setup=setup,
)
