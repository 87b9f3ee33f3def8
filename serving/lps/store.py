"""LPS's own database: stored learning paths and their re-plans (SQLAlchemy Core).

``lps_paths`` holds each path's current plan, the mastery it assumed per skill (with the time
of that estimate) and a version; ``lps_replans`` logs every re-plan with its cause. SQLite by
default (``<data_dir>/lps/paths.db``), any SQLAlchemy URL (PostgreSQL) via
``LEARNLOOP_SERVING__LPS_DATABASE_URL``; tables are created on start. Updates are
compare-and-set on ``version``, so two replicas re-planning one path cannot both win.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine

metadata = MetaData()
paths = Table(
    "lps_paths",
    metadata,
    Column("path_id", String(36), primary_key=True),
    Column("learner_id", String(128), nullable=False, index=True),
    Column("goals", JSON, nullable=False),
    Column("budget_minutes", Float),
    Column("version", Integer, nullable=False),
    Column("plan", JSON, nullable=False),
    Column("assumed", JSON, nullable=False),  # {skill: [mastery, unix time or null]}
    Column("served", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
replans = Table(
    "lps_replans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("path_id", String(36), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("cause", String(16), nullable=False),
    Column("skill_id", String(256), nullable=False),
    Column("mastery", Float, nullable=False),
    Column("previous", Float, nullable=False),
    Column("event_id", String(36)),
    Column("at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class StoredPath:
    """One stored path (``plan``: the JSON form of a ``LearningPath``)."""

    path_id: str
    learner_id: str
    goals: list[str]
    budget_minutes: float | None
    version: int
    plan: dict[str, Any]
    assumed: dict[str, list[Any]]
    served: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    replans: list[dict[str, Any]]


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """WAL and normal sync: a commit without a full fsync (durable across process crashes)."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class PathStore:
    """Create, read and compare-and-set paths."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)

    def create(
        self,
        *,
        learner_id: str,
        goals: list[str],
        budget_minutes: float | None,
        plan: dict[str, Any],
        assumed: dict[str, list[Any]],
        served: dict[str, Any],
    ) -> StoredPath:
        now = datetime.now(UTC)
        row: dict[str, Any] = {
            "path_id": str(uuid.uuid4()),
            "learner_id": learner_id,
            "goals": goals,
            "budget_minutes": budget_minutes,
            "version": 1,
            "plan": plan,
            "assumed": assumed,
            "served": served,
            "created_at": now,
            "updated_at": now,
        }
        with self.engine.begin() as db:
            db.execute(insert(paths).values(**row))
        return StoredPath(**row, replans=[])

    def get(self, path_id: str) -> StoredPath | None:
        with self.engine.connect() as db:
            row = db.execute(select(paths).where(paths.c.path_id == path_id)).mappings().first()
            if row is None:
                return None
            return self._path(row, self._replans(db, [path_id])[path_id])

    def for_learner(
        self, learner_id: str, limit: int = 20, *, with_replans: bool = False
    ) -> list[StoredPath]:
        """The learner's paths, newest first (``with_replans``: each with its re-plan log)."""
        with self.engine.connect() as db:
            rows = list(
                db.execute(
                    select(paths)
                    .where(paths.c.learner_id == learner_id)
                    .order_by(paths.c.created_at.desc())
                    .limit(limit)
                ).mappings()
            )
            ids = [r["path_id"] for r in rows] if with_replans else []
            logs = self._replans(db, ids)
            return [self._path(r, logs[r["path_id"]]) for r in rows]

    def _replans(self, db: Any, path_ids: list[str]) -> defaultdict[str, list[dict[str, Any]]]:
        """Re-plan logs of ``path_ids`` in order, by path id (empty for every other path)."""
        logs: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        if path_ids:
            query = select(replans).where(replans.c.path_id.in_(path_ids)).order_by(replans.c.id)
            for row in db.execute(query).mappings():
                logs[row["path_id"]].append(self._replan(row))
        return logs

    def replan(
        self,
        current: StoredPath,
        *,
        plan: dict[str, Any],
        assumed: dict[str, list[Any]],
        cause: str,
        skill_id: str,
        mastery: float,
        previous: float,
        event_id: str | None,
    ) -> bool:
        """Store a new plan if ``current`` is still the latest version (False otherwise)."""
        now = datetime.now(UTC)
        with self.engine.begin() as db:
            done = db.execute(
                update(paths)
                .where(paths.c.path_id == current.path_id, paths.c.version == current.version)
                .values(plan=plan, assumed=assumed, version=current.version + 1, updated_at=now)
            )
            if done.rowcount != 1:
                return False
            db.execute(
                insert(replans).values(
                    path_id=current.path_id,
                    version=current.version + 1,
                    cause=cause,
                    skill_id=skill_id,
                    mastery=mastery,
                    previous=previous,
                    event_id=event_id,
                    at=now,
                )
            )
        return True

    def forget_learner(self, learner_id: str) -> dict[str, int]:
        """Delete the learner's paths and their re-plan logs (data-subject erasure)."""
        mine = select(paths.c.path_id).where(paths.c.learner_id == learner_id)
        with self.engine.begin() as db:
            logs = db.execute(delete(replans).where(replans.c.path_id.in_(mine))).rowcount
            count = db.execute(delete(paths).where(paths.c.learner_id == learner_id)).rowcount
        return {"paths_deleted": count, "replans_deleted": logs}

    def active_with_skill(self, learner_id: str, skill_id: str) -> list[StoredPath]:
        """The learner's paths that assumed a mastery for ``skill_id``."""
        return [p for p in self.for_learner(learner_id, limit=50) if skill_id in p.assumed]

    @staticmethod
    def _path(row: Any, log: list[dict[str, Any]]) -> StoredPath:
        data = dict(row)
        for key in ("goals", "plan", "assumed", "served"):
            if isinstance(data[key], str):  # some drivers hand JSON back as text
                data[key] = json.loads(data[key])
        data["created_at"] = _utc(data["created_at"])
        data["updated_at"] = _utc(data["updated_at"])
        return StoredPath(**data, replans=log)

    @staticmethod
    def _replan(row: Any) -> dict[str, Any]:
        data = dict(row)
        data.pop("id", None)
        data.pop("path_id", None)
        data["at"] = _utc(data["at"]).isoformat()
        return data
