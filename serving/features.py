"""Online features for serving: a learner's activity and per-skill mastery from Feast.

:class:`FeastReader` does one ``get_online_features`` call per lookup (activity and the mastery
of the requested skills together). :class:`OnlineFeatures` puts a time budget, a circuit breaker
and metrics around it: when the store is slow, down or the breaker is open, callers get
``None`` at once and answer from defaults (and flag the answer as degraded).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from features.feature_repo.names import LEARNER_ACTIVITY_FEATURES
from serving.breaker import CircuitBreaker
from serving.metrics import FEATURE_LOOKUP_SECONDS

logger = logging.getLogger(__name__)
ACTIVITY_REFS = [f"learner_activity_fv:{name}" for name in LEARNER_ACTIVITY_FEATURES]
MASTERY_REF = "skill_mastery_fv:mastery"


class Lookup(Protocol):
    """One learner's features: ``(activity or None, {skill: mastery}, {skill: unix time})``."""

    def __call__(
        self, learner_id: str, skills: Sequence[str], with_activity: bool
    ) -> tuple[dict[str, Any] | None, dict[str, float], dict[str, float]]: ...


class FeastReader:
    """Synchronous reads from the Feast online store configured by settings."""

    def __init__(self, store: Any) -> None:
        self.store = store

    @classmethod
    def from_settings(cls, settings: Any) -> FeastReader:
        """Open the configured store (SQLite file or Redis); imports Feast (slow, once)."""
        from features.feature_repo.store import open_store

        return cls(open_store(settings))

    def __call__(
        self, learner_id: str, skills: Sequence[str], with_activity: bool
    ) -> tuple[dict[str, Any] | None, dict[str, float], dict[str, float]]:
        from feast.errors import FeastObjectNotFoundException

        try:
            return self._read(learner_id, skills, with_activity)
        except FeastObjectNotFoundException:
            # definitions applied after this process cached the registry: reload it once
            self.store.refresh_registry()
            return self._read(learner_id, skills, with_activity)

    def _read(
        self, learner_id: str, skills: Sequence[str], with_activity: bool
    ) -> tuple[dict[str, Any] | None, dict[str, float], dict[str, float]]:
        mastery: dict[str, float] = {}
        practiced: dict[str, float] = {}
        if skills:  # one call per feature view: joining both per skill row costs 4x
            rows = [{"learner_id": learner_id, "skill_id": s} for s in skills]
            data = self.store.get_online_features(features=[MASTERY_REF], entity_rows=rows)
            columns = data.to_dict(include_event_timestamps=True)
            stamps = columns.get("mastery__ts") or [None] * len(skills)
            for skill, value, stamp in zip(skills, columns["mastery"], stamps, strict=True):
                if value is not None:
                    mastery[skill] = float(value)
                    if isinstance(stamp, int | float) and stamp > 0:
                        practiced[skill] = float(stamp)
        activity = None
        if with_activity and not mastery:  # known mastery already says the learner is not new
            row = self.store.get_online_features(
                features=ACTIVITY_REFS, entity_rows=[{"learner_id": learner_id}]
            ).to_dict()
            if row.get("event_count", [None])[0] is not None:
                activity = {name: row[name][0] for name in LEARNER_ACTIVITY_FEATURES}
        return activity, mastery, practiced


class OnlineFeatures:
    """Time-boxed, circuit-broken lookups (see the module docstring). ``inline`` runs them on
    the caller's thread (a local SQLite store: a thread hop costs more than the read; no
    time budget then, the breaker still applies)."""

    def __init__(
        self,
        reader: Callable[[], Lookup],
        *,
        store: str,
        breaker: CircuitBreaker,
        timeout_s: float,
        workers: int = 4,
        inline: bool = False,
    ) -> None:
        self._make_reader = reader
        self.inline = inline
        self._reader: Lookup | None = None
        self.store = store
        self.breaker = breaker
        self.timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="features")

    def prepare(self, warm_skills: Sequence[str] = ()) -> None:
        """Open the store and run one lookup now (blocking: the first read loads Feast's
        registry); a failure is retried on the next lookup."""
        try:
            self._reader = self._make_reader()
            self._reader("warm-up", list(warm_skills), True)
        except Exception:
            logger.exception("feature store: could not open it; serving defaults until it can")

    async def lookup(
        self, learner_id: str, skills: Sequence[str], *, with_activity: bool = True
    ) -> tuple[dict[str, Any] | None, dict[str, float], dict[str, float]] | None:
        """Features of one learner, or ``None`` when the store cannot answer in time."""
        if not self.breaker.allow():
            FEATURE_LOOKUP_SECONDS.labels(self.store, "skipped").observe(0.0)
            return None
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        try:
            if self.inline:  # a local file: no thread hop (a hung network store needs one)
                result = self._read(learner_id, list(skills), with_activity)
            else:
                future = loop.run_in_executor(
                    self._pool, self._read, learner_id, list(skills), with_activity
                )
                result = await asyncio.wait_for(future, self.timeout_s)
        except TimeoutError:
            self._failed("timeout", started)
            return None
        except asyncio.CancelledError:
            self.breaker.release()
            raise
        except Exception as exc:
            logger.warning("feature store lookup failed: %s", exc)
            self._failed("error", started)
            return None
        self.breaker.record_success()
        FEATURE_LOOKUP_SECONDS.labels(self.store, "ok").observe(time.perf_counter() - started)
        return result

    def _read(
        self, learner_id: str, skills: list[str], with_activity: bool
    ) -> tuple[dict[str, Any] | None, dict[str, float], dict[str, float]]:
        if self._reader is None:
            self._reader = self._make_reader()
        return self._reader(learner_id, skills, with_activity)

    def _failed(self, outcome: str, started: float) -> None:
        self.breaker.record_failure()
        FEATURE_LOOKUP_SECONDS.labels(self.store, outcome).observe(time.perf_counter() - started)

    def close(self) -> None:
        """Stop the lookup threads (pending lookups are abandoned)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
