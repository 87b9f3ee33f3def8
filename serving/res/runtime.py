"""RES in one process: the served engines, feature lookups, experiments and hot reload.

HTTP (BentoML) and gRPC call the same :class:`ResRuntime`, so both share one in-process model.
A request reads the current engine reference once; :meth:`ResRuntime.reload_once` builds the
engine of a new ``champion`` (or ``challenger``) version in a worker thread and swaps the
reference, so requests in flight finish on the old model and none is dropped.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any

from features.feature_repo.names import LEARNER_RECENT_ITEMS
from learnloop.settings import Settings
from serving import heap
from serving.content import ContentIndex
from serving.features import OnlineFeatures
from serving.metrics import DEGRADED, INFERENCE_SECONDS, MODEL_INFO, MODEL_RELOADS, PREDICTIONS
from serving.registry import RegistrySource, Versions
from serving.res.engine import Engine, LearnerView, ModelRef, Query, Ranked
from serving.tracing import tracer

logger = logging.getLogger(__name__)
SERVICE = "res"
CHALLENGER = "challenger"


@dataclass(frozen=True)
class Served:
    """Answer metadata shared by Recommend and Score."""

    kt: ModelRef
    rec: ModelRef | None
    arm: str
    experiments: dict[str, str]
    degraded: list[str]
    cold_start: bool
    activity: dict[str, Any] | None


@dataclass(frozen=True)
class Recommendations:
    """What RES answers to one request."""

    items: list[Ranked]
    served: Served
    propensity: float = 1.0  # the ranking is deterministic


@dataclass(frozen=True)
class Scores:
    """Mastery per skill ``(value, observed)`` and P(correct) per item."""

    mastery: dict[str, tuple[float, bool]]
    p_correct: dict[str, float]
    served: Served


@dataclass
class _Slot:
    engine: Engine
    versions: tuple[str | None, str | None] = (None, None)
    loaded_at: float = field(default_factory=time.time)


class ResRuntime:
    """See the module docstring. ``start()`` (blocking) before serving."""

    def __init__(
        self,
        settings: Settings,
        index: ContentIndex,
        *,
        features: OnlineFeatures | None,
        source: RegistrySource | None,
        assigner: Any = None,
    ) -> None:
        self.settings = settings
        self.index = index
        self.features = features
        self.source = source
        self.assigner = assigner
        self.champion = _Slot(self._engine(None, None, None))
        self.challenger: _Slot | None = None
        self.registry_ok = source is None
        self._started = False

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Open the feature store and load the served versions (blocking, once)."""
        if self.features is not None:
            self.features.prepare(self.index.skills[:8])
        self.reload_once()
        gc.collect()
        gc.freeze()  # long-lived model arrays out of the collector's way (shorter pauses)
        self._started = True

    @property
    def ready(self) -> bool:
        """Started (a model is loaded; the registry may still be unreachable: defaults)."""
        return self._started

    async def run_reloader(self) -> None:
        """Poll the registry every ``serving.reload_interval_s`` until cancelled."""
        interval = self.settings.serving.reload_interval_s
        while True:
            await asyncio.sleep(interval)
            await asyncio.to_thread(self.reload_once)

    def reload_once(self) -> bool:
        """Swap in new alias versions if they moved; True when something changed."""
        self._reload_experiments()
        if self.source is None:
            return False
        alias = self.settings.serving.alias
        try:
            champion = self.source.versions(alias)
            wants_challenger = self._challenger_running()
            challenger = self.source.versions(CHALLENGER) if wants_challenger else None
        except Exception:
            logger.exception("registry unreachable; still serving the loaded versions")
            self.registry_ok = False
            MODEL_RELOADS.labels(SERVICE, "alias", "registry_error").inc()
            return False
        self.registry_ok = True
        changed = self._swap("champion", champion)
        if challenger is not None:
            changed |= self._swap(CHALLENGER, challenger)
        elif self.challenger is not None:
            self.challenger = None
            changed = True
        return changed

    def _swap(self, slot_name: str, versions: Versions) -> bool:
        current = self.champion if slot_name == "champion" else self.challenger
        wanted = (versions.kt[1], versions.rec[1])
        if current is not None and current.versions == wanted:
            return False
        try:
            kt = self.source.load("kt", *versions.kt) if versions.kt[1] else None  # type: ignore[union-attr, arg-type]
            rec = self.source.load("rec", *versions.rec) if versions.rec[1] else None  # type: ignore[union-attr, arg-type]
            engine = self._engine(kt, rec, versions)
        except Exception:
            logger.exception("loading %s %s failed; keeping the served versions", slot_name, wanted)
            MODEL_RELOADS.labels(SERVICE, slot_name, "error").inc()
            return False
        slot = _Slot(engine, wanted)
        previous = current.engine if current is not None else None
        if slot_name == "champion":
            self.champion = slot
        else:
            self.challenger = slot
        if self._started:
            heap.freeze_loaded()
        self._export_versions(slot_name, previous, engine)
        MODEL_RELOADS.labels(SERVICE, slot_name, "swapped").inc()
        logger.info(
            "serving %s: kt %s v%s, rec %s",
            slot_name,
            engine.kt_ref.name,
            engine.kt_ref.version,
            f"{engine.rec_ref.name} v{engine.rec_ref.version}" if engine.rec_ref else "none",
        )
        return True

    def _engine(self, kt: Any, rec: Any, versions: Versions | None) -> Engine:
        kt_ref = ModelRef(versions.kt[0], str(versions.kt[1])) if versions and kt else None
        rec_ref = ModelRef(versions.rec[0], str(versions.rec[1])) if versions and rec else None
        return Engine(
            self.index,
            kt=kt,
            rec=rec,
            kt_ref=kt_ref,
            rec_ref=rec_ref,
            candidates=self.settings.serving.candidates,
        )

    def _export_versions(self, alias: str, previous: Engine | None, engine: Engine) -> None:
        for kind, old, new in (
            ("kt", previous.kt_ref if previous else None, engine.kt_ref),
            ("rec", previous.rec_ref if previous else None, engine.rec_ref),
        ):
            if old is not None and old != new:
                MODEL_INFO.labels(SERVICE, kind, old.name, old.version, alias).set(0)
            if new is not None:
                MODEL_INFO.labels(SERVICE, kind, new.name, new.version, alias).set(1)

    def _reload_experiments(self) -> None:
        from pipelines.experiments import Assigner

        try:
            self.assigner = Assigner.from_dir(self.settings.experiments_dir)
        except Exception:
            logger.exception("experiment definitions unreadable; keeping the previous ones")

    def _challenger_running(self) -> bool:
        if self.assigner is None:
            return False
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        return any(CHALLENGER in e.weights for e in self.assigner.registry.active(now))

    # ------------------------------------------------------------------ requests
    def _route(
        self, learner_id: str, course_id: str | None, platform: str | None
    ) -> tuple[Engine, str, dict[str, str]]:
        experiments: dict[str, str] = {}
        if self.assigner is not None:
            experiments = self.assigner.assignments(
                learner_id, course_id=course_id, platform=platform
            )
        if self.challenger is not None and CHALLENGER in experiments.values():
            return self.challenger.engine, CHALLENGER, experiments
        return self.champion.engine, "champion", experiments

    async def recommend(self, query: Query, platform: str | None = None) -> Recommendations:
        """Top-k items for one learner (never raises for unknown learners or items)."""
        engine, arm, experiments = self._route(query.learner_id, query.course_id, platform)
        budget = self.settings.serving.max_skill_lookups
        with tracer().start_as_current_span("res.features"):
            query, known = await self._with_history(query)
            learner, degraded = await self._learner(
                engine,
                query.learner_id,
                engine.anchor_skills(query)[:budget],
                engine.curriculum(query),
                known,
            )
        started = time.perf_counter()
        with tracer().start_as_current_span("res.rank"):
            items = engine.rank(query, learner, time.time())
        served = self._served(engine, arm, experiments, degraded, learner)
        self._count(served, time.perf_counter() - started)
        return Recommendations(items, served)

    async def score(self, learner_id: str, skills: list[str], items: list[str]) -> Scores:
        """Mastery of ``skills`` and P(correct) of ``items`` for one learner."""
        engine, arm, experiments = self._route(learner_id, None, None)
        wanted = list(dict.fromkeys(s for s in skills if s in self.index.skill_pos))
        for item in items:
            pos = self.index.item_pos.get(item)
            if pos is not None:
                wanted.extend(self.index.skills[int(s)] for s in self.index.skills_of(pos))
        wanted = list(dict.fromkeys(wanted))
        with tracer().start_as_current_span("res.features"):
            learner, degraded = await self._read(learner_id, wanted)
        started = time.perf_counter()
        mastery, p_correct = engine.score(learner, skills, items)
        served = self._served(engine, arm, experiments, degraded, learner)
        self._count(served, time.perf_counter() - started)
        return Scores(mastery, p_correct, served)

    async def _read(self, learner_id: str, skills: list[str]) -> tuple[LearnerView, list[str]]:
        """All of ``skills`` (in lookups of ``max_skill_lookups``) plus activity."""
        budget = self.settings.serving.max_skill_lookups
        view = LearnerView()
        for start in range(0, max(len(skills), 1), budget):
            chunk = skills[start : start + budget]
            view, ok = await self._merge(view, learner_id, chunk, with_activity=start == 0)
            if not ok:
                return view, ["features_unavailable"]
        return view, []

    async def _with_history(self, query: Query) -> tuple[Query, LearnerView | None]:
        """A request without ``history`` takes the learner's recent items from the online
        store (``recent_items``, fed by every event the feature consumer reads): one activity
        lookup, whose answer the rest of the request keeps. ``None``: nothing was read."""
        if query.history or self.features is None:
            return query, None
        known, ok = await self._merge(LearnerView(), query.learner_id, [], with_activity=True)
        if not ok:
            return query, None
        recent = (known.activity or {}).get(LEARNER_RECENT_ITEMS) or ()
        return replace(query, history=tuple(recent)), known

    async def _learner(
        self,
        engine: Engine,
        learner_id: str,
        anchors: list[str],
        order: list[str],
        known: LearnerView | None = None,
    ) -> tuple[LearnerView, list[str]]:
        """Observed mastery around the request, in at most two lookups (after ``known``, the
        learner's activity when already read).

        With anchors (history, skill filter) those skills say where the learner is. Otherwise
        the course's skills are probed every ``stride`` (one lookup), and the window from just
        before the first unmastered probe is read densely with its skills' prerequisites (the
        frontier). Unread skills count at their prior (so nothing past them is unlocked), and
        unread skills before the window are not recommended (the learner is past them).
        """
        budget = self.settings.serving.max_skill_lookups
        initial, activity = known or LearnerView(), known is None
        if anchors or len(order) <= budget:
            skills = anchors or order
            view, ok = await self._merge(initial, learner_id, skills, with_activity=activity)
            return view, [] if ok else ["features_unavailable"]
        stride = -(-len(order) // budget)
        probes = order[::stride]
        view, ok = await self._merge(initial, learner_id, probes, with_activity=activity)
        if not ok or not view.mastery:
            return view, [] if ok else ["features_unavailable"]
        first = next((i for i, s in enumerate(probes) if not engine.mastered(s, view)), len(probes))
        start = max(0, (first - 1) * stride)
        parents = self.index.prerequisites.parents
        window = order[start : start + budget]
        wanted = [*window, *(p for s in window for p in parents.get(s, ()))]
        read = set(probes)
        missing = [s for s in dict.fromkeys(wanted) if s not in read]
        view, ok = await self._merge(view, learner_id, missing, with_activity=False)
        read.update(missing)
        behind = frozenset(s for s in order[:start] if s not in read)
        return replace(view, behind=behind), [] if ok else ["features_unavailable"]

    async def _merge(
        self, view: LearnerView, learner_id: str, skills: list[str], *, with_activity: bool
    ) -> tuple[LearnerView, bool]:
        if self.features is None:
            return view, True
        found = await self.features.lookup(learner_id, skills, with_activity=with_activity)
        if found is None:
            return view, False
        activity, mastery, practiced = found
        return (
            LearnerView(
                mastery={**view.mastery, **mastery},
                practiced_at={**view.practiced_at, **practiced},
                activity=activity if with_activity else view.activity,
            ),
            True,
        )

    def _served(
        self,
        engine: Engine,
        arm: str,
        experiments: dict[str, str],
        degraded: list[str],
        learner: LearnerView,
    ) -> Served:
        if not self.registry_ok:
            degraded = [*degraded, "registry_unavailable"]
        return Served(
            engine.kt_ref,
            engine.rec_ref,
            arm,
            experiments,
            degraded,
            learner.is_cold,
            learner.activity,
        )

    def _count(self, served: Served, seconds: float) -> None:
        kt = served.kt
        INFERENCE_SECONDS.labels(SERVICE, kt.name, kt.version, served.arm).observe(seconds)
        PREDICTIONS.labels(SERVICE, kt.name, kt.version, served.arm).inc()
        for reason in served.degraded:
            DEGRADED.labels(SERVICE, reason).inc()

    def describe(self) -> dict[str, Any]:
        """What is served (for ``GET /model`` and logs)."""

        def slot(s: _Slot | None) -> dict[str, Any] | None:
            if s is None:
                return None
            e = s.engine
            return {
                "kt": vars(e.kt_ref),
                "rec": vars(e.rec_ref) if e.rec_ref else None,
                "kt_skills_from_model": int(e.skills.from_champion.sum()),
                "rec_catalog_overlap": e.rec_overlap,
                "loaded_at": s.loaded_at,
            }

        return {
            "champion": slot(self.champion),
            "challenger": slot(self.challenger),
            "registry_reachable": self.registry_ok,
            "catalog": {"items": self.index.n_items, "skills": self.index.n_skills},
        }
