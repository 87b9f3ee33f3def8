"""RES's batched online reads answer what Feast's ``get_online_features`` does (SQLite, Redis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from learnloop.localstack import ManagedProcess
from learnloop.settings import Settings
from serving.features import ACTIVITY_FEATURES, FeastReader

pytestmark = pytest.mark.integration
SKILLS = ["fractions", "decimals", "ratios", "never-pushed"]


def feast_answer(store: Any, learner: str, skills: list[str]) -> tuple[Any, Any, Any]:
    """The same lookup through Feast's own API."""
    rows = [{"learner_id": learner, "skill_id": s} for s in skills]
    data = store.get_online_features(features=["skill_mastery_fv:mastery"], entity_rows=rows)
    columns = data.to_dict(include_event_timestamps=True)
    mastery = {s: v for s, v in zip(skills, columns["mastery"], strict=True) if v is not None}
    stamps = zip(skills, columns["mastery__ts"], strict=True)
    practiced = {s: float(t) for s, t in stamps if s in mastery}
    refs = [f"learner_activity_fv:{name}" for name in ACTIVITY_FEATURES]
    row = store.get_online_features(features=refs, entity_rows=[{"learner_id": learner}])
    found = row.to_dict()
    activity = (
        {name: found[name][0] for name in ACTIVITY_FEATURES}
        if found["event_count"][0] is not None
        else None
    )
    return activity, mastery, practiced


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_batched_reads_equal_feast_online_features(
    backend: str, tmp_path: Path, dataset_dir: Path, redis_server: ManagedProcess
) -> None:
    import pandas as pd
    from feast.data_source import PushMode

    from features.feature_repo.store import apply, open_store

    settings = Settings(
        data_dir=tmp_path / "var",
        dataset_dir=dataset_dir,
        features={
            "online_store": backend,
            "redis_url": f"127.0.0.1:{redis_server.port}",
            "project": f"reads_{backend}_{tmp_path.name[-6:].replace('-', '_')}",
        },
    )
    store = open_store(settings)
    apply(settings, store)
    then = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)
    mastery = [("ada", "fractions", 0.91, then), ("ada", "ratios", 0.42, then - timedelta(days=3))]
    mastery += [("bob", "decimals", 0.77, then)]
    store.push(
        "skill_mastery_push",
        pd.DataFrame(
            [
                {
                    "learner_id": learner,
                    "skill_id": skill,
                    "event_timestamp": at,
                    "mastery": value,
                    "mastery_model_version": "bkt@test",
                }
                for learner, skill, value, at in mastery
            ]
        ),
        to=PushMode.ONLINE,
    )
    activity = dict.fromkeys(ACTIVITY_FEATURES, 3) | {
        "accuracy": 0.6,
        "accuracy_7d": 0.5,
        "recent_items": ["p1", "p2/step-1"],
    }
    no_items = activity | {"recent_items": []}  # only lessons so far
    store.push(
        "learner_activity_push",
        pd.DataFrame(
            [
                {"learner_id": "cy", "event_timestamp": then, **activity},
                {"learner_id": "dee", "event_timestamp": then, **no_items},
            ]
        ),
        to=PushMode.ONLINE,
    )
    reader = FeastReader(store)
    for learner in ("ada", "bob", "cy", "dee", "nobody"):
        ours = reader(learner, SKILLS, True)
        activity_ref, mastery_ref, practiced_ref = feast_answer(store, learner, SKILLS)
        assert ours[1] == pytest.approx(mastery_ref), learner
        assert ours[2] == pytest.approx(practiced_ref), learner
        # activity is read only for learners without known mastery (they are not new)
        assert ours[0] == (activity_ref if not mastery_ref else None), learner
    assert reader("ada", SKILLS, True)[1] == pytest.approx({"fractions": 0.91, "ratios": 0.42})
    assert reader("cy", [], True)[0] == activity
    assert reader("dee", [], True)[0]["recent_items"] == []
    assert reader("ada", [], False) == (None, {}, {})
    if backend == "sqlite":  # reads memory-mapped (the connection Feast and the reader share)
        online: Any = store._get_provider().online_store
        conn = online._get_conn(store.config)
        assert conn.execute("PRAGMA mmap_size").fetchone()[0] > 0


def test_a_reader_on_another_host_reads_the_shared_redis_store(
    tmp_path: Path, dataset_dir: Path, redis_server: ManagedProcess
) -> None:
    """In Kubernetes RES runs apart from the feature consumers: its registry is empty, the Redis
    rows are shared. The reader registers the definitions itself instead of serving defaults."""
    import pandas as pd
    from feast.data_source import PushMode

    from features.feature_repo.store import apply, open_reading_store, open_store

    online = {
        "online_store": "redis",
        "redis_url": f"127.0.0.1:{redis_server.port}",
        "project": f"apart_{tmp_path.name[-6:].replace('-', '_')}",
    }
    consumer = Settings(data_dir=tmp_path / "consumer", dataset_dir=dataset_dir, features=online)
    res = Settings(data_dir=tmp_path / "res", dataset_dir=dataset_dir, features=online)
    store = open_store(consumer)
    apply(consumer, store)
    at = datetime(2026, 5, 1, tzinfo=UTC)
    store.push(
        "skill_mastery_push",
        pd.DataFrame(
            [{"learner_id": "ada", "skill_id": "fractions", "event_timestamp": at,
              "mastery": 0.88, "mastery_model_version": "bkt@test"}]
        ),
        to=PushMode.ONLINE,
    )  # fmt: skip
    assert not (res.feature_repo_path / "registry.db").exists()
    reader = FeastReader.from_settings(res)
    assert reader("ada", ["fractions"], False)[1] == pytest.approx({"fractions": 0.88})
    local = Settings(data_dir=tmp_path / "local", dataset_dir=dataset_dir)  # SQLite, never applied
    assert open_reading_store(local) is None
