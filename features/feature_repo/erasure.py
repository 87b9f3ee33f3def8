"""GDPR erasure of one learner: lake rows, online feature rows and consumer state."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from features.feature_repo.state import StateStore
from features.feature_repo.store import delete_online_rows
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
from features.sql.feature_tables import delete_learner_rows

if TYPE_CHECKING:
    from feast import FeatureStore


def erase_learner(
    learner_id: str,
    *,
    lake: Lake,
    store: FeatureStore,
    state_files: list[Path],
    offline_dir: Path | None = None,
) -> dict[str, int]:
    """Remove ``learner_id`` everywhere learnloop's event backbone keeps it (and from the offline
    feature tables under ``offline_dir``, when given); counts per place.

    Events still retained in Kafka (topic retention) are not rewritten: replaying them would
    re-add the learner, so run erasure after the stream consumers caught up and keep topic
    retention within the erasure deadline.
    """
    lake_rows = 0
    for dataset, schema, partitions in (
        (EVENTS_DATASET, EVENTS_SCHEMA, EVENT_PARTITIONS),
        (PROGRESS_DATASET, PROGRESS_SCHEMA, PROGRESS_PARTITIONS),
    ):
        lake_rows += delete_learner(
            lake, dataset, learner_id, schema=schema, partition_cols=partitions
        ).removed
    online_rows = delete_online_rows(store, "learner_id", learner_id)
    for path in state_files:
        if path.exists():
            state = StateStore(path)
            state.forget_learner(learner_id)
            state.close()
    offline_rows = delete_learner_rows(offline_dir, learner_id) if offline_dir else 0
    return {"lake_rows": lake_rows, "online_rows": online_rows, "offline_rows": offline_rows}
