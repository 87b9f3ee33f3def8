"""The RES runtime with an in-memory online store (Feast itself: tests/integration/serving)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import pytest

from learnloop.settings import Settings
from serving.breaker import CircuitBreaker
from serving.content import ContentIndex
from serving.features import OnlineFeatures
from serving.metrics import DEGRADED, FEATURE_LOOKUP_SECONDS
from serving.res.engine import Query
from serving.res.runtime import ResRuntime


class MemoryStore:
    """Learner features in a dict; can be made slow or broken."""

    def __init__(
        self, mastery: dict[str, dict[str, float]], recent: dict[str, list[str]] | None = None
    ) -> None:
        self.mastery = mastery
        self.recent = recent or {}
        self.calls: list[list[str]] = []
        self.broken = False
        self.delay = 0.0

    def __call__(
        self, learner_id: str, skills: Sequence[str], with_activity: bool
    ) -> tuple[dict[str, Any] | None, dict[str, float], dict[str, float]]:
        self.calls.append(list(skills))
        if self.broken:
            raise ConnectionError("store down")
        time.sleep(self.delay)
        known = self.mastery.get(learner_id)
        if known is None:
            return None, {}, {}
        found = {s: known[s] for s in skills if s in known}
        activity = {"attempt_count": 3, "recent_items": self.recent.get(learner_id, [])}
        return activity, found, dict.fromkeys(found, 1.7e9)


def runtime(
    settings: Settings, index: ContentIndex, store: MemoryStore, **serving: Any
) -> ResRuntime:
    settings = settings.model_copy(
        update={"serving": settings.serving.model_copy(update={"max_skill_lookups": 2, **serving})}
    )
    features = OnlineFeatures(
        lambda: store,
        store="memory",
        breaker=CircuitBreaker("res-test", f"memory-{id(store)}", failures=2, reset_s=60),
        timeout_s=0.05,
    )
    rt = ResRuntime(settings, index, features=features, source=None)
    rt.start()
    return rt


def test_finds_the_frontier_in_two_lookups(
    tiny_settings: Settings, tiny_index: ContentIndex
) -> None:
    store = MemoryStore({"ada": {"a": 0.95, "b": 0.9, "c": 0.3}})
    rt = runtime(tiny_settings, tiny_index, store)
    store.calls.clear()
    result = asyncio.run(rt.recommend(Query("ada", k=3, course_id="algebra-one")))
    # the learner's recent items first (none); then 4 course skills, 2 per lookup: probe a
    # and c (stride 2); c unmastered: read from a on
    assert store.calls == [[], ["a", "c"], ["b"]]
    assert [r.item_id for r in result.items][:2] in (["oat-p4", "oat-p5"], ["oat-p5", "oat-p4"])
    assert result.served.degraded == [] and not result.served.cold_start
    assert result.served.kt.name == "content-pack-bkt" and result.served.arm == "champion"
    store.calls.clear()
    asyncio.run(rt.recommend(Query("ada", k=3, history=("oat-p1",))))
    assert len(store.calls) == 1  # history anchors the lookup


def test_a_request_without_history_takes_the_learners_recent_items(
    tiny_settings: Settings, tiny_index: ContentIndex
) -> None:
    mastery = {"ada": {"a": 0.95, "b": 0.9, "c": 0.3}}
    store = MemoryStore(mastery, recent={"ada": ["oat-p1", "oat-p4"]})
    rt = runtime(tiny_settings, tiny_index, store, max_skill_lookups=8)
    store.calls.clear()
    result = asyncio.run(rt.recommend(Query("ada", k=3)))
    assert store.calls[0] == []  # the activity row, with the recent items
    assert len(store.calls) == 2 and "c" in store.calls[1]  # anchored on their skills
    ids = [r.item_id for r in result.items]
    assert "oat-p4" not in ids and ids[0] == "oat-p5"  # just answered: not offered again
    explicit = asyncio.run(rt.recommend(Query("ada", k=3, history=("oat-p1", "oat-p4"))))
    assert [r.item_id for r in explicit.items] == ids
    assert not result.served.cold_start and result.served.degraded == []


def test_unknown_learner_gets_a_cold_start_answer(
    tiny_settings: Settings, tiny_index: ContentIndex
) -> None:
    rt = runtime(tiny_settings, tiny_index, MemoryStore({}))
    result = asyncio.run(rt.recommend(Query("nobody", k=2, course_id="algebra-one")))
    assert result.served.cold_start and len(result.items) == 2
    assert {r.item_id for r in result.items} <= {"oat-p1", "oat-p2", "oat-p3"}


def test_store_down_answers_from_priors_flags_and_opens_the_breaker(
    tiny_settings: Settings, tiny_index: ContentIndex
) -> None:
    store = MemoryStore({"ada": {"a": 0.95, "b": 0.9}})
    rt = runtime(tiny_settings, tiny_index, store)
    store.broken = True
    before = DEGRADED.labels("res", "features_unavailable")._value.get()
    for _ in range(3):
        result = asyncio.run(rt.recommend(Query("ada", k=2, course_id="algebra-one")))
        assert result.served.degraded == ["features_unavailable"]
        assert {r.item_id for r in result.items} <= {"oat-p1", "oat-p2", "oat-p3"}
    assert DEGRADED.labels("res", "features_unavailable")._value.get() == before + 3
    calls = len(store.calls)
    asyncio.run(rt.recommend(Query("ada", k=2)))
    assert len(store.calls) == calls  # breaker open: the store is not called at all
    assert FEATURE_LOOKUP_SECONDS.labels("memory", "skipped")._sum.get() == 0.0


def test_slow_store_times_out(tiny_settings: Settings, tiny_index: ContentIndex) -> None:
    store = MemoryStore({"ada": {"a": 0.95}})
    rt = runtime(tiny_settings, tiny_index, store)
    store.delay = 0.2
    started = time.perf_counter()
    result = asyncio.run(rt.recommend(Query("ada", k=2)))
    assert time.perf_counter() - started < 0.15
    assert result.served.degraded == ["features_unavailable"]


def test_score_reads_every_requested_skill(
    tiny_settings: Settings, tiny_index: ContentIndex
) -> None:
    store = MemoryStore({"ada": {"a": 0.95, "d": 0.5}})
    rt = runtime(tiny_settings, tiny_index, store)
    scores = asyncio.run(rt.score("ada", ["a", "b", "d"], ["oat-p6"]))
    assert scores.mastery == {"a": (0.95, True), "b": (pytest.approx(0.1), False), "d": (0.5, True)}
    assert scores.p_correct["oat-p6"] == pytest.approx(0.5 * 0.9 + 0.5 * 0.2)


def test_describe_reports_the_served_models(
    tiny_settings: Settings, tiny_index: ContentIndex
) -> None:
    rt = runtime(tiny_settings, tiny_index, MemoryStore({}))
    info = rt.describe()
    assert info["champion"]["kt"] == {"name": "content-pack-bkt", "version": "builtin"}
    assert info["catalog"] == {"items": 8, "skills": 5} and rt.ready
