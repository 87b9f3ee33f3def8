"""SQLite state of a feature consumer group: learner aggregates, mastery times, the ids of
events already applied (per UTC day) and the applied offsets, committed in one transaction;
plus the id of each topic those offsets were read from."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from features.feature_repo.aggregates import LearnerActivity

SCHEMA = """
CREATE TABLE IF NOT EXISTS learner (learner_id TEXT PRIMARY KEY, state TEXT NOT NULL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS mastery (learner_id TEXT, skill_id TEXT, ts TEXT NOT NULL,
    PRIMARY KEY (learner_id, skill_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seen (day INTEGER NOT NULL, ids BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS seen_day ON seen (day);
CREATE TABLE IF NOT EXISTS applied (topic TEXT, partition INTEGER, next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS topic_ids (topic TEXT PRIMARY KEY, topic_id TEXT NOT NULL)
    WITHOUT ROWID;
"""
CHUNK = 500


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

    def follow(self, ids: Mapping[str, str]) -> list[str]:
        """Tie the applied offsets to the topics' current broker ids (``topic -> id``); return
        the topics whose offsets were forgotten because their id changed.

        A topic with a new id is a new log that starts again at offset 0 (deleted and created
        again, or held by an embedded in-memory broker that restarted): the offsets applied
        from the old log would skip as many of its messages. Events the new log replays are
        still deduplicated by id. A topic seen for the first time keeps its offsets.
        """
        stored = dict(self.db.execute("SELECT topic, topic_id FROM topic_ids"))
        replaced = sorted(topic for topic, id_ in ids.items() if stored.get(topic, id_) != id_)
        with self._transaction() as db:
            db.executemany("DELETE FROM applied WHERE topic = ?", [(t,) for t in replaced])
            db.executemany("INSERT OR REPLACE INTO topic_ids VALUES (?, ?)", list(ids.items()))
        return replaced

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """The connection inside one transaction: committed at the end, rolled back on error."""
        db = self.db
        db.execute("BEGIN")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def seen_on(self, day: int) -> set[bytes]:
        """Ids (16-byte UUIDs) of events of UTC day ``day`` already applied (cached per day)."""
        found = self._seen.get(day)
        if found is None:
            found = self._seen[day] = set()
            for (blob,) in self.db.execute("SELECT ids FROM seen WHERE day = ?", (day,)):
                found.update(blob[i : i + 16] for i in range(0, len(blob), 16))
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
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO learner VALUES (?, ?)",
                [(k, v.to_json()) for k, v in learners.items()],
            )
            db.executemany(
                "INSERT OR REPLACE INTO mastery VALUES (?, ?, ?)",
                [(k[0], k[1], ts) for k, ts in mastery.items()],
            )
            blocks: dict[int, list[bytes]] = {}
            for day, event_id in seen:
                blocks.setdefault(day, []).append(event_id)
            db.executemany(
                "INSERT INTO seen VALUES (?, ?)", [(d, b"".join(ids)) for d, ids in blocks.items()]
            )
            db.executemany(
                "INSERT OR REPLACE INTO applied VALUES (?, ?, ?)",
                [(t, p, o) for (t, p), o in offsets.items()],
            )
        for day, event_id in seen:
            self.seen_on(day).add(event_id)

    def prune_seen(self, before_day: int) -> int:
        for day in [d for d in self._seen if d < before_day]:
            del self._seen[day]
        return self.db.execute("DELETE FROM seen WHERE day < ?", (before_day,)).rowcount

    def learner_record(
        self, learner_id: str, *, limit: int
    ) -> tuple[LearnerActivity | None, list[tuple[str, str]], bool]:
        """What :meth:`forget_learner` deletes (GDPR access): the learner's aggregates and up to
        ``limit`` (skill id, mastery time) rows; True when more rows exist."""
        rows = self.db.execute(
            "SELECT skill_id, ts FROM mastery WHERE learner_id = ? ORDER BY skill_id LIMIT ?",
            (learner_id, limit + 1),
        ).fetchall()
        activity = self.learners([learner_id]).get(learner_id)
        return activity, rows[:limit], len(rows) > limit

    def forget_learner(self, learner_id: str) -> dict[str, int]:
        """Delete the learner's aggregates and mastery times (idempotent); rows deleted."""
        learner = self.db.execute("DELETE FROM learner WHERE learner_id = ?", (learner_id,))
        mastery = self.db.execute("DELETE FROM mastery WHERE learner_id = ?", (learner_id,))
        return {"learner_rows_deleted": learner.rowcount, "mastery_rows_deleted": mastery.rowcount}

    def close(self) -> None:
        self.db.close()
