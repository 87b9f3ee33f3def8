"""Feature consumer: LearningEvents and ProgressUpdateEvents → Feast online store (push API).

Exactly-once aggregates from at-least-once delivery, with a local SQLite state store:

1. skip messages below the offsets already applied (``applied`` table) and events whose id was
   counted before (``seen`` table, kept ``dedupe_window_days``);
2. update learner aggregates in memory and push the new rows to Feast (an overwrite, so a
   replay of this step is harmless);
3. commit state, seen ids and applied offsets in one SQLite transaction;
4. return — then the consumer commits the Kafka offsets.

A crash before 3 recomputes the same rows from the old state; after 3 the replay is skipped.
Invalid messages are skipped here (the lake sink dead-letters them). The state is local to the
host: consumers of one group should share a host (or move the state to a shared store).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from confluent_kafka import Message

from features.events import LearningEvent, ProgressUpdateEvent
from features.feature_repo.aggregates import LearnerActivity, day_number
from features.feature_repo.names import LEARNER_ACTIVITY_PUSH, SKILL_MASTERY_PUSH
from features.streaming import decode_batch, parse_learning_bytes, parse_progress_bytes
from features.streaming.metrics import CONSUMED

if TYPE_CHECKING:
    from feast import FeatureStore

logger = logging.getLogger(__name__)
SCHEMA = """
CREATE TABLE IF NOT EXISTS learner (learner_id TEXT PRIMARY KEY, state TEXT NOT NULL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS mastery (learner_id TEXT, skill_id TEXT, ts TEXT NOT NULL,
    PRIMARY KEY (learner_id, skill_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seen (day INTEGER NOT NULL, event_id BLOB NOT NULL,
    PRIMARY KEY (day, event_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS applied (topic TEXT, partition INTEGER, next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition)) WITHOUT ROWID;
"""
CHUNK = 500


@dataclass
class FeatureConsumerStats:
    """Running totals."""

    events: int = 0
    duplicates: int = 0
    skipped_invalid: int = 0
    learner_rows_pushed: int = 0
    mastery_rows_pushed: int = 0


class StateStore:
    """SQLite state of one feature consumer group."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self._seen: dict[int, set[bytes]] = {}

    def applied(self) -> dict[tuple[str, int], int]:
        rows = self.db.execute("SELECT topic, partition, next_offset FROM applied")
        return {(t, p): o for t, p, o in rows}

    def seen_on(self, day: int) -> set[bytes]:
        """Ids (16-byte UUIDs) of events of UTC day ``day`` already applied (cached per day)."""
        found = self._seen.get(day)
        if found is None:
            rows = self.db.execute("SELECT event_id FROM seen WHERE day = ?", (day,))
            found = self._seen[day] = {r[0] for r in rows}
        return found

    def learners(self, ids: Iterable[str]) -> dict[str, LearnerActivity]:
        wanted = list(ids)
        out = {}
        for i in range(0, len(wanted), CHUNK):
            chunk = wanted[i : i + CHUNK]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT learner_id, state FROM learner WHERE learner_id IN ({marks})"  # noqa: S608
            for learner_id, state in self.db.execute(query, chunk):
                out[learner_id] = LearnerActivity.from_json(state)
        return out

    def mastery_times(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        out = {}
        for learner_id, skill_id in keys:
            row = self.db.execute(
                "SELECT ts FROM mastery WHERE learner_id = ? AND skill_id = ?",
                (learner_id, skill_id),
            ).fetchone()
            if row:
                out[(learner_id, skill_id)] = row[0]
        return out

    def commit(
        self,
        learners: dict[str, LearnerActivity],
        mastery: dict[tuple[str, str], str],
        seen: Sequence[tuple[int, bytes]],
        offsets: dict[tuple[str, int], int],
    ) -> None:
        db = self.db
        db.execute("BEGIN")
        try:
            db.executemany(
                "INSERT OR REPLACE INTO learner VALUES (?, ?)",
                [(k, v.to_json()) for k, v in learners.items()],
            )
            db.executemany(
                "INSERT OR REPLACE INTO mastery VALUES (?, ?, ?)",
                [(k[0], k[1], ts) for k, ts in mastery.items()],
            )
            db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)", seen)
            db.executemany(
                "INSERT OR REPLACE INTO applied VALUES (?, ?, ?)",
                [(t, p, o) for (t, p), o in offsets.items()],
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        for day, event_id in seen:
            self.seen_on(day).add(event_id)

    def prune_seen(self, before_day: int) -> int:
        for day in [d for d in self._seen if d < before_day]:
            del self._seen[day]
        return self.db.execute("DELETE FROM seen WHERE day < ?", (before_day,)).rowcount

    def forget_learner(self, learner_id: str) -> None:
        self.db.execute("DELETE FROM learner WHERE learner_id = ?", (learner_id,))
        self.db.execute("DELETE FROM mastery WHERE learner_id = ?", (learner_id,))

    def close(self) -> None:
        self.db.close()


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

    def __call__(self, messages: Sequence[Message]) -> None:
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
        rows = [
            {"learner_id": learner_id, "event_timestamp": a.last_timestamp, **a.features()}
            for learner_id, a in learners.items()
        ]
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
