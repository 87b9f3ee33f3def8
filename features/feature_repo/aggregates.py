"""Streaming learner-activity aggregates, with the exact semantics of ``learner_activity.sql``.

State per learner: totals, the latest event time, per-UTC-day buckets of the last 7 days and the
latest :data:`RECENT_ITEMS` item events. Features are "as of the learner's latest event", which
equals the last offline row of the learner in the SQL view — also when events arrive late, as
long as each is applied once.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from features.events import LearningEvent, catalog_item_of
from features.feature_repo.names import ITEM_OBJECT_TYPES, RECENT_ITEMS

WINDOW_DAYS = 7
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def day_number(ts: datetime) -> int:
    """Days since 1970-01-01 of a UTC timestamp."""
    return (ts.date() - _EPOCH.date()).days


@dataclass
class LearnerActivity:
    """Aggregates of one learner; :meth:`apply` each event exactly once."""

    event_count: int = 0
    attempt_count: int = 0
    correct_count: int = 0
    last_ts_us: int = 0
    days: dict[int, list[int]] = field(default_factory=dict)  # day number -> [attempts, correct]
    # the latest item events in (time, event id) order: [unix µs, event id, catalog item id]
    recent: list[tuple[int, str, str]] = field(default_factory=list)

    def apply(self, event: LearningEvent) -> None:
        """Count one event."""
        correct = event.result.correct if event.result else None
        attempted = int(correct is not None)
        right = int(bool(correct))
        self.event_count += 1
        self.attempt_count += attempted
        self.correct_count += right
        ts_us = (event.timestamp - _EPOCH) // _MICROSECOND
        self.last_ts_us = max(self.last_ts_us, ts_us)
        today = self.last_ts_us // 86_400_000_000
        dn = day_number(event.timestamp)
        if dn > today - WINDOW_DAYS:
            bucket = self.days.setdefault(dn, [0, 0])
            bucket[0] += attempted
            bucket[1] += right
        for old in [d for d in self.days if d <= today - WINDOW_DAYS]:
            del self.days[old]
        item = catalog_item(event)
        if item is not None:
            bisect.insort(self.recent, (ts_us, str(event.event_id), item))
            del self.recent[:-RECENT_ITEMS]

    def features(self) -> dict[str, Any]:
        """The ``learner_activity_fv`` values as of the latest event."""
        today = self.last_ts_us // 86_400_000_000
        recent = [b for d, b in self.days.items() if today - WINDOW_DAYS < d <= today]
        a7 = sum(b[0] for b in recent)
        c7 = sum(b[1] for b in recent)
        return {
            "event_count": self.event_count,
            "attempt_count": self.attempt_count,
            "correct_count": self.correct_count,
            "accuracy": (self.correct_count + 1.0) / (self.attempt_count + 2.0),
            "attempt_count_7d": a7,
            "correct_count_7d": c7,
            "accuracy_7d": (c7 + 1.0) / (a7 + 2.0),
            "last_event_unix": self.last_ts_us // 1_000_000,
            "recent_items": [item for _, _, item in self.recent],
        }

    @property
    def last_timestamp(self) -> datetime:
        """Time of the latest event (UTC)."""
        return datetime.fromtimestamp(self.last_ts_us / 1_000_000, tz=UTC)

    def to_json(self) -> str:
        """Compact serialised state."""
        return json.dumps(
            [
                self.event_count,
                self.attempt_count,
                self.correct_count,
                self.last_ts_us,
                self.days,
                self.recent,
            ]
        )

    @classmethod
    def from_json(cls, text: str) -> LearnerActivity:
        """Inverse of :meth:`to_json`."""
        e, a, c, ts, days, *rest = json.loads(text)  # states written before recent items: 5
        recent = [(int(t), str(i), str(item)) for t, i, item in (rest[0] if rest else [])]
        return cls(e, a, c, ts, {int(d): b for d, b in days.items()}, recent)


def activity_rows(learners: dict[str, LearnerActivity]) -> list[dict[str, Any]]:
    """``learner_activity_fv`` rows (push source): each learner's features as of their latest
    event."""
    return [
        {"learner_id": learner_id, "event_timestamp": a.last_timestamp, **a.features()}
        for learner_id, a in learners.items()
    ]


def catalog_item(event: LearningEvent) -> str | None:
    """The catalog item an event acted on (a step counts for its item ``<item>/<step>``), or
    ``None`` for lessons, courses, assessments and external tools."""
    if event.object.type.value not in ITEM_OBJECT_TYPES:
        return None
    return catalog_item_of(event.object.id)
