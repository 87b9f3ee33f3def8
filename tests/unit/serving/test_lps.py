"""LPS planning: mastery from RES (gRPC), its fallbacks, stored paths and re-planning."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from features.events import ProgressUpdateEvent
from learnloop.localstack import free_port
from learnloop.settings import Settings
from serving.breaker import CircuitBreaker
from serving.content import ContentIndex
from serving.grpc_client import ResClient
from serving.lps.planning import PathService, plan_to_dict
from serving.lps.store import PathStore
from serving.metrics import DEGRADED, REPLANS
from serving.res.grpc_server import start_grpc_server
from serving.res.runtime import ResRuntime

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def service(
    settings: Settings, index: ContentIndex, tmp_path: Path, address: str | None
) -> PathService:
    res = None
    if address is not None:
        breaker = CircuitBreaker("lps-test", f"{address}-{uuid.uuid4()}", failures=1, reset_s=60)
        res = ResClient(address, breaker=breaker, retries=0, deadline_s=0.5)
    return PathService(settings, index, PathStore(f"sqlite:///{tmp_path / 'paths.db'}"), res)


def update(skill: str, mastery: float, at: datetime, learner: str = "ada") -> ProgressUpdateEvent:
    return ProgressUpdateEvent(
        learner_id=learner,
        skill_id=skill,
        mastery=mastery,
        model_name="bkt",
        model_version="1",
        cause_event_id=uuid.uuid4(),
        timestamp=at,
    )


def test_plans_from_res_then_degrades_to_cached_then_prior(
    tiny_settings: Settings, tiny_index: ContentIndex, tmp_path: Path
) -> None:
    runtime = ResRuntime(tiny_settings, tiny_index, features=None, source=None)
    runtime.start()

    async def main() -> None:
        address = f"127.0.0.1:{free_port()}"
        server = await start_grpc_server(runtime, address)
        paths = service(tiny_settings, tiny_index, tmp_path, address)
        first = await paths.create("ada", ["d"], None)
        assert first.served["source"] == "res" and first.served["degraded"] == []
        assert first.served["kt"] == {"name": "content-pack-bkt", "version": "builtin"}
        await server.stop(grace=None)  # RES goes away
        cached_before = DEGRADED.labels("lps", "res_unavailable:cached")._value.get()
        cached = await paths.create("ada", ["d"], None)
        assert cached.served["source"] == "cached" and cached.served["degraded"] == [
            "res_unavailable"
        ]
        assert cached.plan["steps"] == first.plan["steps"]
        prior = await paths.create("bob", ["d"], None)
        assert prior.served == {"source": "prior", "degraded": ["res_unavailable"], "kt": None}
        assert DEGRADED.labels("lps", "res_unavailable:cached")._value.get() == cached_before + 1
        assert paths.res is not None
        await paths.res.close()

    asyncio.run(main())


def test_progress_ahead_or_behind_replans_once(
    tiny_settings: Settings, tiny_index: ContentIndex, tmp_path: Path
) -> None:
    paths = service(tiny_settings, tiny_index, tmp_path, None)
    stored = asyncio.run(paths.create("ada", ["d"], 600.0))
    assert stored.plan["steps"][0]["skill"] in {"a", "b"}
    ahead = REPLANS.labels("ahead")._value.get()
    assert paths.apply_progress(update("a", 0.14, T0)) == 0  # within tolerance of 0.1
    assert paths.apply_progress(update("a", 0.97, T0 + timedelta(minutes=1))) == 1
    assert paths.apply_progress(update("a", 0.97, T0 + timedelta(minutes=1))) == 0  # replayed
    assert paths.apply_progress(update("a", 0.2, T0)) == 0  # older than what the path holds
    assert REPLANS.labels("ahead")._value.get() == ahead + 1
    again = paths.store.get(stored.path_id)
    assert again is not None and again.version == 2
    assert "a" not in [s["skill"] for s in again.plan["steps"]]  # mastered: no longer a step
    assert again.replans[0]["cause"] == "ahead" and again.replans[0]["skill_id"] == "a"
    assert paths.apply_progress(update("a", 0.3, T0 + timedelta(minutes=2))) == 1
    latest = paths.store.get(stored.path_id)
    assert latest is not None and latest.replans[-1]["cause"] == "behind"
    assert "a" in [s["skill"] for s in latest.plan["steps"]]
    assert paths.apply_progress(update("a", 0.99, T0, learner="someone-else")) == 0


def test_stale_version_does_not_overwrite(
    tiny_settings: Settings, tiny_index: ContentIndex, tmp_path: Path
) -> None:
    paths = service(tiny_settings, tiny_index, tmp_path, None)
    stored = asyncio.run(paths.create("ada", ["c"], None))
    kwargs: dict[str, Any] = {
        "cause": "ahead",
        "skill_id": "a",
        "mastery": 0.9,
        "previous": 0.1,
        "event_id": None,
    }
    assert paths.store.replan(stored, plan=stored.plan, assumed=stored.assumed, **kwargs)
    assert not paths.store.replan(stored, plan=stored.plan, assumed=stored.assumed, **kwargs)


def test_planning_errors_name_the_field(
    tiny_settings: Settings, tiny_index: ContentIndex, tmp_path: Path
) -> None:
    paths = service(tiny_settings, tiny_index, tmp_path, None)
    with pytest.raises(ValueError, match="goal_skills: unknown skills: zz"):
        paths.goals(["zz"], None)
    assert paths.goals([], "algebra-one") == ["a", "b", "c", "d"]
    assert paths.needed_skills(["d"]) == ["d", "a", "b", "c"]


def test_plan_json_is_asdict_with_lists_and_thresholds_per_skill(
    tiny_settings: Settings, tiny_index: ContentIndex, tmp_path: Path
) -> None:
    paths = service(tiny_settings, tiny_index, tmp_path, None)
    goals = paths.goals([], "algebra-one")
    path = paths.plan(goals, {"a": 0.2, "b": 0.95}, budget_minutes=None)
    expected = asdict(path)
    expected["steps"] = [{**s, "items": list(s["items"])} for s in expected["steps"]]
    for key in (
        "goals",
        "reached_goals",
        "unreached_goals",
        "already_mastered",
        "assumed_mastered",
    ):
        expected[key] = list(expected[key])
    data = plan_to_dict(path)
    assert data == expected and json.loads(json.dumps(data)) == data
    assert len(data["steps"]) >= 2 and data["already_mastered"] == ["b"]
    data["steps"][0]["reasons"][0]["code"] = "changed"  # a copy: the plan keeps its reasons
    assert path.steps[0].reasons[0]["code"] != "changed"
    thresholds = paths.estimator.thresholds()
    assert all(paths.planner.threshold(s) == thresholds[s] for s in tiny_index.skills)
    assert "b" not in [s["skill"] for s in data["steps"]]  # 0.95: above b's threshold
