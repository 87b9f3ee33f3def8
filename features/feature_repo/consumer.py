"""Feature consumer: LearningEvents and ProgressUpdateEvents → Feast online store (push API).

Exactly-once aggregates from at-least-once delivery, with a local SQLite state store:

1. skip messages below the offsets already applied (``applied`` table) and events whose id was
   counted before (``seen`` table: per batch and UTC day, one blob of 16-byte ids; kept
   ``dedupe_window_days``);
2. update learner aggregates in memory and push the new rows to Feast (an overwrite, so a
   replay of this step is harmless);
3. commit state, seen ids and applied offsets in one SQLite transaction;
4. return — then the consumer commits the Kafka offsets.

A crash before 3 recomputes the same rows from the old state; after 3 the replay is skipped.
Invalid messages are skipped here (the lake sink dead-letters them). The state is local to the
host: consumers of one group should share a host, or each own a fixed slice of the partitions
with a state of its own (``ingest.features_instances``, :class:`features.streaming.PartitionSlice`).
A batch and a GDPR erasure (:meth:`FeatureConsumer.forget_learner`, from another thread) never
interleave, so an erasure is not undone by a batch that read the learner's state before it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
from confluent_kafka import Message

from features.events import LearningEvent, ProgressUpdateEvent
from features.feature_repo.aggregates import LearnerActivity, activity_rows, day_number
from features.feature_repo.names import LEARNER_ACTIVITY_PUSH, SKILL_MASTERY_PUSH
from features.feature_repo.state import StateStore
from features.streaming import decode_batch, parse_learning_bytes, parse_progress_bytes
from features.streaming.metrics import CONSUMED

if TYPE_CHECKING:
    from feast import FeatureStore

logger = logging.getLogger(__name__)


@dataclass
class FeatureConsumerStats:
    """Running totals."""

    events: int = 0
    duplicates: int = 0
    skipped_invalid: int = 0
    learner_rows_pushed: int = 0
    mastery_rows_pushed: int = 0


class FeatureConsumer:
    """Batch handler for :class:`features.streaming.BatchConsumer` (see module docstring)."""

    def __init__(
        self,
        store: FeatureStore,
        state: StateStore,
        *,
        group_id: str,
        progress_topic: str,
        dedupe_window_days: int = 7,
    ):
        self.store = store
        self.state = state
        self.group_id = group_id
        self.progress_topic = progress_topic
        self.dedupe_window_days = dedupe_window_days
        self.stats = FeatureConsumerStats()
        self._max_day = 0
        self._lock = threading.Lock()

    def __call__(self, messages: Sequence[Message]) -> None:
        with self._lock:
            self._apply(messages)

    def forget_learner(self, learner_id: str) -> dict[str, int]:
        """Erase the learner from the state, between batches; rows deleted per table."""
        with self._lock:
            return self.state.forget_learner(learner_id)

    def learner_record(
        self, learner_id: str, *, limit: int
    ) -> tuple[LearnerActivity | None, list[tuple[str, str]], bool]:
        """The learner's state (GDPR access), see :meth:`StateStore.learner_record`."""
        with self._lock:
            return self.state.learner_record(learner_id, limit=limit)

    def _apply(self, messages: Sequence[Message]) -> None:
        applied = self.state.applied()
        fresh = [
            m
            for m in messages
            if (m.offset() or 0) >= applied.get((m.topic() or "", m.partition() or 0), 0)
        ]
        progress = [m for m in fresh if m.topic() == self.progress_topic]
        learning = [m for m in fresh if m.topic() != self.progress_topic]
        events = self._new_events(learning, parse_learning_bytes)
        updates = self._new_events(progress, parse_progress_bytes)
        learners = self._apply_learning(events)
        mastery = self._apply_progress(updates)
        seen = [(day_number(e.timestamp), e.event_id.bytes) for e in [*events, *updates]]
        offsets: dict[tuple[str, int], int] = {}
        for m in messages:
            key = (m.topic() or "", m.partition() or 0)
            offsets[key] = max(offsets.get(key, 0), (m.offset() or 0) + 1)
        self.state.commit(learners, mastery, seen, offsets)
        if seen:
            self._max_day = max(self._max_day, *(d for d, _ in seen))
        if self.stats.events % 200_000 < len(events):
            self.state.prune_seen(self._max_day - self.dedupe_window_days)

    def _new_events(self, messages: Sequence[Message], parse: Any) -> list[Any]:
        if not messages:
            return []
        decoded = decode_batch(messages, parse)
        self.stats.skipped_invalid += len(decoded.dead_letters)
        topic = messages[0].topic() or ""
        if decoded.dead_letters:
            CONSUMED.labels(self.group_id, topic, "skipped").inc(len(decoded.dead_letters))
        out = []
        batch: set[bytes] = set()
        for event in decoded.events:
            event_id = event.event_id.bytes
            if event_id in batch or event_id in self.state.seen_on(day_number(event.timestamp)):
                self.stats.duplicates += 1
                continue
            batch.add(event_id)
            out.append(event)
        CONSUMED.labels(self.group_id, topic, "ok").inc(len(out))
        CONSUMED.labels(self.group_id, topic, "duplicate").inc(len(decoded.events) - len(out))
        return out

    def _apply_learning(self, events: list[LearningEvent]) -> dict[str, LearnerActivity]:
        if not events:
            return {}
        learners = self.state.learners({e.learner_id for e in events})
        for event in events:
            learners.setdefault(event.learner_id, LearnerActivity()).apply(event)
        rows = activity_rows(learners)
        self._push(LEARNER_ACTIVITY_PUSH, rows)
        self.stats.events += len(events)
        self.stats.learner_rows_pushed += len(rows)
        return learners

    def _apply_progress(self, updates: list[ProgressUpdateEvent]) -> dict[tuple[str, str], str]:
        if not updates:
            return {}
        latest: dict[tuple[str, str], ProgressUpdateEvent] = {}
        for u in updates:
            key = (u.learner_id, u.skill_id)
            if key not in latest or u.timestamp >= latest[key].timestamp:
                latest[key] = u
        known = self.state.mastery_times(latest)
        newer = {
            k: u
            for k, u in latest.items()
            if k not in known or u.timestamp >= datetime.fromisoformat(known[k])
        }
        rows = [
            {
                "learner_id": u.learner_id,
                "skill_id": u.skill_id,
                "event_timestamp": u.timestamp,
                "mastery": u.mastery,
                "mastery_model_version": f"{u.model_name}@{u.model_version}",
            }
            for u in newer.values()
        ]
        self._push(SKILL_MASTERY_PUSH, rows)
        self.stats.mastery_rows_pushed += len(rows)
        return {k: u.timestamp.astimezone(UTC).isoformat() for k, u in newer.items()}

    def _push(self, source: str, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        from feast.data_source import PushMode

        self.store.push(source, pd.DataFrame(rows), to=PushMode.ONLINE)
