"""The Feast feature store end to end (one Feast import for the module: it takes ~15 s).

* Streaming: LearningEvents and ProgressUpdateEvents through the real broker into the feature
  consumer → online features equal the offline SQL view's latest row; a replayed batch and
  resent events are not counted twice.
* Batch: feature tables from the lake → materialize → online item features; point-in-time
  training sets without future leakage.
* Redis online store (real redis-server) and GDPR erasure.
* A broker that comes back empty (``make up``'s in-memory broker restarted): the feature
  consumer reads the new log from its start instead of skipping what it applied from the old one.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from testkit.events import make_events
from testkit.streaming import kafka_settings, produce_events, read_all

from features.events import LearningEvent, ProgressUpdateEvent
from features.feature_repo.consumer import FeatureConsumer
from features.feature_repo.erasure import erase_learner
from features.feature_repo.names import LEARNER_ACTIVITY_FEATURES, RECENT_ITEMS
from features.feature_repo.state import StateStore
from features.feature_repo.store import apply, delete_online_rows, materialize, open_store
from features.lake import Lake, events_to_table, progress_to_table
from features.sql import query_view
from features.sql.feature_tables import build_feature_tables
from features.streaming import BatchConsumer, EventProducer, encode
from learnloop.commands.ingest import features_consumer
from learnloop.localstack import ManagedProcess, free_port, start_broker
from learnloop.settings import Settings

pytestmark = pytest.mark.integration
ACTIVITY = [f"learner_activity_fv:{f}" for f in LEARNER_ACTIVITY_FEATURES]


def _events(n: int, learners: int) -> list[LearningEvent]:
    """Events every 40 minutes over ~10 days, with one late (out-of-order) event per learner."""
    start = datetime(2026, 3, 1, 8, tzinfo=UTC)
    events = [
        e.model_copy(update={"timestamp": start + timedelta(minutes=40 * i)})
        for i, e in enumerate(make_events(n, learners=learners))
    ]
    late = [
        e.model_copy(
            update={"event_id": uuid.uuid4(), "timestamp": e.timestamp - timedelta(days=2)}
        )
        for e in events[-learners:]
    ]
    return events + late


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, broker: ManagedProcess) -> Settings:
    data = tmp_path_factory.mktemp("feast")
    return Settings(
        data_dir=data, kafka=kafka_settings(broker.port), lake={"uri": str(data / "lake")}
    )


@pytest.fixture(scope="module")
def store(settings: Settings) -> Any:
    feature_store = open_store(settings)
    apply(settings, feature_store)
    return feature_store


def _online(store: Any, learners: list[str]) -> dict[str, list[Any]]:
    rows = [{"learner_id": lid} for lid in learners]
    features = [*ACTIVITY, "learner_activity_fv:recent_items"]
    return store.get_online_features(features=features, entity_rows=rows).to_dict()


def test_streamed_features_match_offline_sql_and_replays_do_not_double_count(
    settings: Settings, store: Any, tmp_path: Path
) -> None:
    kafka = settings.kafka
    events = _events(300, learners=6)
    produce_events(kafka, events + events[::10])  # 10 % resent
    updates = [
        ProgressUpdateEvent(
            learner_id=e.learner_id,
            skill_id="s1",
            mastery=0.1 + 0.002 * i,
            model_name="bkt",
            model_version="3",
            cause_event_id=e.event_id,
            timestamp=e.timestamp,
        )
        for i, e in enumerate(events[:200])
    ]
    with EventProducer(kafka) as producer:
        producer.send_all([encode(u, kafka.progress_update_topic) for u in updates])
    state = StateStore(tmp_path / "state.sqlite")
    handler = FeatureConsumer(
        store, state, group_id="f", progress_topic=kafka.progress_update_topic
    )
    consumer = BatchConsumer(
        kafka,
        group_id=f"features-{uuid.uuid4().hex[:6]}",
        topics=[kafka.learning_event_topic, kafka.progress_update_topic],
        batch_size=100,
        flush_interval_s=0.2,
    )
    consumer.run(handler, idle_exit_s=2.0)
    assert handler.stats.events == len(events)
    assert handler.stats.duplicates == len(events[::10])

    lake = Lake.from_uri(str(tmp_path / "lake"))
    lake.write_events(events_to_table(events))
    offline = query_view(lake, "learner_activity").to_pandas()
    expected = offline.sort_values("event_timestamp").groupby("learner_id").tail(1)
    learners = sorted(expected["learner_id"])
    online = pd.DataFrame(_online(store, learners)).set_index("learner_id")
    for row in expected.itertuples():
        for feature in LEARNER_ACTIVITY_FEATURES:
            got, want = online.loc[row.learner_id, feature], getattr(row, feature)
            assert math.isclose(got, want), (row.learner_id, feature, got, want)
        assert online.loc[row.learner_id, "recent_items"] == list(row.recent_items)
        assert len(row.recent_items) == RECENT_ITEMS  # 50 events each: the window is full

    replay = read_all(kafka, kafka.learning_event_topic)
    state.db.execute("DELETE FROM applied")  # as if offsets were never recorded
    handler(replay)  # the event-id memory still refuses every one of them
    again = pd.DataFrame(_online(store, learners)).set_index("learner_id")
    assert (again["event_count"] == online["event_count"]).all()

    last = {(u.learner_id, u.skill_id): u for u in updates}
    mastery = store.get_online_features(
        features=["skill_mastery_fv:mastery", "skill_mastery_fv:mastery_model_version"],
        entity_rows=[{"learner_id": lid, "skill_id": "s1"} for lid, _ in sorted(last)],
    ).to_dict()
    assert mastery["mastery"] == pytest.approx([u.mastery for _, u in sorted(last.items())])
    assert set(mastery["mastery_model_version"]) == {"bkt@3"}


def test_point_in_time_training_set_and_materialized_item_features(
    settings: Settings, store: Any
) -> None:
    lake = Lake.from_uri(settings.lake_uri)
    events = _events(120, learners=3)
    lake.write_events(events_to_table(events))
    lake.write_table(
        "progress",
        progress_to_table(
            [
                ProgressUpdateEvent(
                    learner_id=events[0].learner_id,
                    skill_id="s1",
                    mastery=0.7,
                    model_name="bkt",
                    model_version="1",
                    cause_event_id=events[0].event_id,
                    timestamp=events[0].timestamp,
                )
            ]
        ),
        partition_cols=("event_date",),
    )
    counts = build_feature_tables(lake, settings.feature_offline_path)
    assert counts["learner_activity"] > 0 and counts["skill_mastery"] == 1
    # Training rows stamped 1 µs before each event: features must not include that event.
    sample = sorted(events, key=lambda e: e.timestamp)[5:60:7]
    entity = pd.DataFrame(
        {
            "learner_id": [e.learner_id for e in sample],
            "event_timestamp": [e.timestamp - timedelta(microseconds=1) for e in sample],
        }
    )
    training = store.get_historical_features(
        entity_df=entity,
        features=["learner_activity_fv:event_count", "learner_activity_fv:recent_items"],
    ).to_df()
    for row in training.itertuples():
        earlier = sorted(
            (e.timestamp, str(e.event_id), e.object.id)
            for e in events
            if e.learner_id == row.learner_id and e.timestamp <= row.event_timestamp
        )
        assert row.event_count == len(earlier), (row.learner_id, row.event_timestamp)
        assert list(row.recent_items) == [item for *_, item in earlier][-RECENT_ITEMS:]
    materialize(settings, store, end=datetime(2026, 4, 1, tzinfo=UTC))
    items = lake.read_events(columns=["object_id"]).column("object_id")
    item = items[0].as_py()
    online = store.get_online_features(
        features=["item_stats_fv:item_difficulty", "item_stats_fv:popularity_7d"],
        entity_rows=[{"item_id": item}],
    ).to_dict()
    assert online["item_difficulty"][0] is not None and 0 < online["item_difficulty"][0] < 1


def test_redis_online_store_and_erasure(
    settings: Settings, redis_server: ManagedProcess, tmp_path: Path
) -> None:
    redis_settings = settings.model_copy(
        update={
            "features": settings.features.model_copy(
                update={
                    "online_store": "redis",
                    "redis_url": f"127.0.0.1:{redis_server.port}",
                    "repo_path": tmp_path / "feast-redis",
                }
            )
        }
    )
    redis_store = open_store(redis_settings)
    apply(redis_settings, redis_store)
    now = datetime.now(UTC)
    rows = pd.DataFrame(
        [
            {"learner_id": lid, "event_timestamp": now, "event_count": n, "attempt_count": n,
             "correct_count": 1, "accuracy": 0.5, "attempt_count_7d": n, "correct_count_7d": 1,
             "accuracy_7d": 0.5, "last_event_unix": 1, "recent_items": [f"{lid}-p1"]}
            for lid, n in (("keep-me", 3), ("erase-me", 5))
        ]
    )  # fmt: skip
    from feast.data_source import PushMode

    redis_store.push("learner_activity_push", rows, to=PushMode.ONLINE)
    assert _online(redis_store, ["keep-me", "erase-me"])["event_count"] == [3, 5]
    assert _online(redis_store, ["keep-me"])["recent_items"] == [["keep-me-p1"]]
    assert delete_online_rows(redis_store, "learner_id", "erase-me") == 1
    assert _online(redis_store, ["keep-me", "erase-me"])["event_count"] == [3, None]

    lake = Lake.from_uri(str(tmp_path / "lake"))
    events = make_events(40, learners=4)
    lake.write_events(events_to_table(events))
    victim = events[1].learner_id
    state = tmp_path / "state.sqlite"
    StateStore(state).close()
    result = erase_learner(victim, lake=lake, store=redis_store, state_files=[state])
    assert result["lake_rows"] == 10
    assert victim not in lake.read_events(columns=["learner_id"]).column("learner_id").to_pylist()


def test_a_broker_restarted_empty_is_read_from_its_start(tmp_path: Path) -> None:
    """The state remembers offsets applied from the first broker's log (one partition: 3
    events of learner a); the broker restarts empty on the same port and the same topics are
    created again (new topic ids, offsets from 0): learner b's two events must both count,
    not be skipped as "already applied" below offset 3."""
    port = free_port()

    def consume_with_a_fresh_broker(workdir: Path, events: list[LearningEvent]) -> Any:
        broker = start_broker(workdir, port=port)
        try:
            kafka = kafka_settings(port, partitions=1, **topics)
            settings = Settings(data_dir=tmp_path / "data", kafka=kafka)
            produce_events(kafka, events)
            consumer, handler = features_consumer(settings)
            consumer.run(handler, idle_exit_s=2.0)
            return handler
        finally:
            broker.stop()

    suffix = uuid.uuid4().hex[:8]
    topics = {
        "learning_event_topic": f"LearningEventStream-{suffix}",
        "progress_update_topic": f"ProgressUpdateEvent-{suffix}",
    }
    a, b = (make_events(n, learners=1) for n in (3, 2))
    a = [e.model_copy(update={"learner_id": "learner-a"}) for e in a]
    b = [e.model_copy(update={"learner_id": "learner-b"}) for e in b]
    first = consume_with_a_fresh_broker(tmp_path / "broker-1", a)
    assert first.stats.events == 3
    second = consume_with_a_fresh_broker(tmp_path / "broker-2", b)
    assert second.stats.events == 2
    store = open_store(Settings(data_dir=tmp_path / "data"))
    online = _online(store, ["learner-a", "learner-b"])
    assert online["event_count"] == [3, 2]


def test_the_erase_command_reaches_the_lake_and_the_training_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from learnloop.cli import app
    from learnloop.settings import get_settings

    monkeypatch.setenv("LEARNLOOP_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        settings = get_settings()
        events = make_events(12, learners=3)
        lake = Lake.from_uri(settings.lake_uri)
        lake.write_events(events_to_table(events))
        snapshot = settings.pipeline_root / "quick" / "ingest" / "events.parquet"
        snapshot.parent.mkdir(parents=True)
        pq.write_table(events_to_table(events), snapshot)
        victim = events[1].learner_id
        result = CliRunner().invoke(app, ["features", "erase", victim])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "4 lake rows" in result.output and "4 rows in 1 training-data files" in result.output
    for table in (lake.read_events(columns=["learner_id"]), pq.read_table(snapshot)):
        remaining = table.column("learner_id").to_pylist()
        assert victim not in remaining and len(remaining) == 8
