"""GDPR/CCPA: export gathers every store; erasure fans out through an event to every store
(relational services, progress store, lake, feature store), is audited with pseudonyms only,
and afterwards nothing identifying the subject remains anywhere we can look.

The feature store is the gateway's own Feast repo, fed by the real feature consumer from the
real broker; the lake is the gateway's lake folder."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import inspect, text
from testkit.gateway_harness import Gateway
from testkit.streaming import kafka_settings, produce_events

from features.events import EventObject, EventResult, LearningEvent, ProgressUpdateEvent, Verb
from features.feature_repo.consumer import FeatureConsumer
from features.feature_repo.state import StateStore
from features.lake import PROGRESS_DATASET, PROGRESS_PARTITIONS, events_to_table, progress_to_table
from features.sql.feature_tables import build_feature_tables
from features.streaming import BatchConsumer, EventProducer, encode
from learnloop.localstack import ManagedProcess, free_port
from learnloop.settings import Settings
from learnloop.web.metrics_port import start_metrics_port
from models.policy import Catalog, ContentItem, PathPlanner, PriorEstimator
from services.common.data_platform import (
    ConsumerStateSubjectHandler,
    FeatureStoreSubjectHandler,
    LakeSubjectHandler,
    lake_of,
)
from services.common.principal import Role
from services.common.subject_export_wsgi import EXPORT_PREFIX, subject_export_app
from serving.lps.planning import plan_to_dict
from serving.lps.store import PathStore

pytestmark = pytest.mark.integration


def _dump_database(gateway: Gateway) -> str:
    engine = gateway.platform.db.engine
    parts = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            rows = connection.execute(text(f'SELECT * FROM "{table}"')).all()
            parts.append(f"{table}: {[tuple(r) for r in rows]}")
    return "\n".join(parts)


def _active_learner(gateway: Gateway) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A learner (also an author) with attempts, answers, progress, authored content, lake rows."""
    name = f"Ada Lovelace-{uuid.uuid4().hex[:8]}"
    user_id, headers = gateway.make_user(Role.LEARNER, Role.INSTRUCTOR, name=name)
    course = gateway.client.post(
        "/catalog/courses", json={"title": "Number sense"}, headers=headers
    ).json()
    assessment = gateway.client.post(
        "/assessments",
        json={
            "title": "Doubling quiz",
            "items": [{"kind": "numeric", "prompt": "1+1", "value": 2, "skills": ["arithmetic"]}],
        },
        headers=headers,
    ).json()
    attempt = gateway.client.post(
        f"/assessments/{assessment['id']}/attempts", headers=headers
    ).json()
    answer = gateway.client.post(
        f"/assessments/attempts/{attempt['id']}/answers",
        json={"item_id": assessment["items"][0]["id"], "response": "2"},
        headers=headers,
    )
    assert answer.status_code == 201
    event = LearningEvent(
        learner_id=user_id,
        timestamp=datetime.now(UTC),
        verb=Verb.ANSWERED,
        object=EventObject(id="oat-x/1"),
        skill_ids=["arithmetic"],
        result=EventResult(correct=True),
    )
    other = event.model_copy(update={"learner_id": "someone-else", "event_id": uuid.uuid4()})
    update = _mastery(event, 0.8)
    lake = lake_of(gateway.platform.settings)
    lake.write_events(events_to_table([event, other]))
    lake.write_table(
        PROGRESS_DATASET, progress_to_table([update]), partition_cols=PROGRESS_PARTITIONS
    )
    facts = {"course": course["id"], "assessment": assessment["id"], "name": name}
    return user_id, headers, {**facts, "event": event, "other": other, "update": update}


def _mastery(event: LearningEvent, mastery: float, skill: str = "arithmetic") -> Any:
    return ProgressUpdateEvent(
        learner_id=event.learner_id,
        skill_id=skill,
        mastery=mastery,
        model_name="bkt",
        model_version="3",
        cause_event_id=event.event_id,
        timestamp=event.timestamp,
    )


@pytest.fixture(scope="module")
def feature_store(gateway: Gateway) -> Any:
    """The gateway's Feast repo applied (its SQLite online store: read by export, erasure)."""
    from features.feature_repo.store import apply, open_store

    settings = gateway.platform.settings
    store = open_store(settings)
    apply(settings, store)
    return store


@pytest.fixture(scope="module")
def stream_features(gateway: Gateway, feature_store: Any, broker: ManagedProcess) -> Iterator[Any]:
    """``feed(events, updates)``: through the real broker into the feature consumer, whose state
    lives where the gateway's feature-store handler looks (``<state_path>/features.sqlite``)."""
    state = StateStore(gateway.platform.settings.state_path / "features.sqlite")

    def feed(events: list[LearningEvent], updates: list[ProgressUpdateEvent]) -> None:
        kafka = kafka_settings(broker.port)
        produce_events(kafka, events)
        with EventProducer(kafka) as producer:
            producer.send_all([encode(u, kafka.progress_update_topic) for u in updates])
        handler = FeatureConsumer(
            feature_store, state, group_id="features", progress_topic=kafka.progress_update_topic
        )
        BatchConsumer(
            kafka,
            group_id=f"features-{uuid.uuid4().hex[:6]}",
            topics=[kafka.learning_event_topic, kafka.progress_update_topic],
            batch_size=100,
            flush_interval_s=0.2,
        ).run(handler, idle_exit_s=1.0)
        assert handler.stats.events == len(events)
        assert handler.stats.mastery_rows_pushed == len(updates)

    yield feed
    state.close()


def _learner_with_features(
    gateway: Gateway, feed: Any
) -> tuple[str, dict[str, str], dict[str, Any]]:
    """:func:`_active_learner` whose events and mastery also went through the feature pipelines
    (streaming: online store and consumer state; batch: offline tables), beside someone else's."""
    user_id, headers, facts = _active_learner(gateway)
    event, other = facts["event"], facts["other"]
    feed([event, other], [facts["update"], _mastery(other, 0.3)])
    settings = gateway.platform.settings
    lake = lake_of(settings)
    lake.write_table(
        PROGRESS_DATASET,
        progress_to_table([_mastery(other, 0.3)]),
        partition_cols=PROGRESS_PARTITIONS,
    )
    build_feature_tables(lake, settings.feature_offline_path)  # the batch path, from the lake
    # a training run's copies: its events snapshot, and a drift reference logged to MLflow
    snapshot = settings.pipeline_root / "run-1" / "ingest" / "events.parquet"
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(events_to_table([event, other]), snapshot)
    reference = Path(settings.mlflow_artifact_location) / "1" / "r1" / "artifacts" / "reference"
    reference.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table({"learner_id": [user_id, other.learner_id], "p_correct": [0.7, 0.4]}),
        reference / "predictions.parquet",
    )
    paths = PathStore(settings.lps_database_url)  # LPS's store: a path each, one re-planned
    planner = PathPlanner(
        {"arithmetic": [], "fractions": ["arithmetic"]},
        Catalog([ContentItem("oat-f/1", ("fractions",))]),
        PriorEstimator(),
    )
    plan = plan_to_dict(planner.plan({"arithmetic": 0.9}, ["fractions"], budget_minutes=30.0))
    for learner in (user_id, "someone-else"):
        path = paths.create(
            learner_id=learner, goals=["fractions"], budget_minutes=30.0, plan=plan,
            assumed={"arithmetic": [0.9, None]}, served={"source": "res"},
        )  # fmt: skip
        paths.replan(
            path, plan=path.plan, assumed={}, cause="forgot", skill_id="arithmetic",
            mastery=0.4, previous=0.9, event_id=None,
        )  # fmt: skip
    return user_id, headers, facts


def _held(value: Any) -> list[Any]:
    """Every non-empty leaf of an export (records; zero totals and false flags are not data)."""
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _held(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _held(v)]
    return [value] if value else []


def test_export_contains_every_store(gateway: Gateway, stream_features: Any) -> None:
    user_id, headers, facts = _learner_with_features(gateway, stream_features)
    event, update = facts["event"], facts["update"]
    export = gateway.client.get(f"/users/{user_id}/export", headers=headers)
    assert export.status_code == 200, export.text
    assert export.json()["missing"] == {}
    stores = export.json()["stores"]
    assert stores["users"]["profile"]["full_name"] == facts["name"]
    assert stores["users"]["sessions"]
    assert stores["assessments"]["attempts"][0]["responses"][0]["response"] == "2"
    assert facts["assessment"] in stores["assessments"]["authored_assessments"]
    assert stores["catalog"]["authored_courses"] == [facts["course"]]
    assert stores["progress"]["mastery"][0]["skill_id"] == "arithmetic"

    lake = stores["lake"]
    assert (lake["events"]["total"], lake["events"]["truncated"]) == (1, False)
    [row] = lake["events"]["rows"]  # only this learner's event, not someone-else's
    assert row["event_id"] == str(event.event_id) and row["learner_id"] == user_id
    assert (row["verb"], row["object_id"], row["skill_ids"]) == (
        "answered",
        "oat-x/1",
        ["arithmetic"],
    )
    assert row["correct"] is True
    assert datetime.fromisoformat(row["timestamp"]) == event.timestamp
    [progress] = lake["progress"]["rows"]
    assert (progress["skill_id"], progress["mastery"], progress["cause_event_id"]) == (
        "arithmetic", 0.8, str(event.event_id),
    )  # fmt: skip

    features = stores["feature_store"]
    online = {r["feature_view"]: r for r in features["online"]["rows"]}
    assert features["online"]["truncated"] is False and len(features["online"]["rows"]) == 2
    activity = online["learner_activity_fv"]
    assert activity["entity"] == {"learner_id": user_id}
    assert activity["features"] == {
        "event_count": 1, "attempt_count": 1, "correct_count": 1, "accuracy": 2 / 3,
        "attempt_count_7d": 1, "correct_count_7d": 1, "accuracy_7d": 2 / 3,
        "last_event_unix": int(event.timestamp.timestamp()), "recent_items": ["oat-x"],
    }  # fmt: skip
    mastery = online["skill_mastery_fv"]
    assert mastery["entity"] == {"learner_id": user_id, "skill_id": "arithmetic"}
    assert mastery["features"] == {"mastery": 0.8, "mastery_model_version": "bkt@3"}
    offline = features["offline"]
    [activity_row] = offline["learner_activity"]["rows"]
    assert (activity_row["learner_id"], activity_row["event_count"]) == (user_id, 1)
    assert activity_row["event_timestamp"] == event.timestamp.isoformat()
    [mastery_row] = offline["skill_mastery"]["rows"]
    assert (mastery_row["skill_id"], mastery_row["mastery"]) == ("arithmetic", 0.8)
    assert offline["skill_mastery"]["truncated"] is False
    [state] = features["consumer_state"]
    assert state["file"] == "features.sqlite"
    assert state["activity"]["event_count"] == 1
    assert state["activity"]["days"] == {
        event.timestamp.date().isoformat(): {"attempts": 1, "correct": 1}
    }
    assert state["mastery"] == {
        "rows": [{"skill_id": "arithmetic", "updated_at": update.timestamp.isoformat()}],
        "truncated": False,
    }
    training = {f["path"]: f for f in stores["training_data"]["files"]}
    sources = {f["source"] for f in stores["training_data"]["files"]}
    assert sources == {"pipeline", "mlflow_artifacts"}  # named, not server paths
    assert set(training) == {
        "run-1/ingest/events.parquet",
        "1/r1/artifacts/reference/predictions.parquet",
    }
    assert [r["event_id"] for r in training["run-1/ingest/events.parquet"]["rows"]] == [
        str(event.event_id)
    ]
    assert training["1/r1/artifacts/reference/predictions.parquet"]["rows"] == [
        {"learner_id": user_id, "p_correct": 0.7}
    ]
    [path] = stores["learning_paths"]["paths"]["rows"]
    assert (path["learner_id"], path["goals"], path["version"]) == (user_id, ["fractions"], 2)
    assert [r["cause"] for r in path["replans"]] == ["forgot"]
    assert "someone-else" not in export.text


def _sliced(settings: Settings, export_url: str | None = None) -> Settings:
    """``settings`` as in the Helm chart: two feature consumer slices keeping their own state."""
    return settings.model_copy(
        update={
            "security": settings.security.model_copy(
                update={
                    "consumer_state_erasure": "consumer",
                    "consumer_state_export_url": export_url,
                }
            ),
            "ingest": settings.ingest.model_copy(update={"features_instances": 2}),
        }
    )


def test_export_names_the_consumer_slices_it_cannot_read(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the feature consumers keep their state on their own volumes (the Helm chart) and no
    ``security.consumer_state_export_url`` says where to ask them, the export says so per slice
    instead of implying there is nothing."""
    user_id, headers = gateway.make_user(Role.LEARNER)
    export = gateway.client.get(f"/users/{user_id}/export", headers=headers)
    assert export.status_code == 200 and export.json()["missing"] == {}
    monkeypatch.setattr(gateway.platform, "settings", _sliced(gateway.platform.settings))
    export = gateway.client.get(f"/users/{user_id}/export", headers=headers)
    assert export.status_code == 200, export.text
    missing = export.json()["missing"]
    assert set(missing) == {"feature_consumer_state-0", "feature_consumer_state-1"}
    assert all("consumer_state_export_url is not set" in reason for reason in missing.values())
    assert "users" in export.json()["stores"]


def test_export_reads_each_consumer_slice_on_its_metrics_port(
    gateway: Gateway, stream_features: Any, feature_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``security.consumer_state_export_url`` the identity service asks every slice, with
    the subject's own token, which the slice verifies itself: slice 0 (a real metrics port
    serving its state's export) answers with the learner's record; slice 1 is down and is named
    under ``missing`` with the error, not silently left out."""
    user_id, headers, facts = _learner_with_features(gateway, stream_features)
    settings = gateway.platform.settings
    state = StateStore(settings.state_path / "features.sqlite")  # what slice 0 keeps
    consumer = FeatureConsumer(feature_store, state, group_id="features", progress_topic="p")
    handler = ConsumerStateSubjectHandler(
        consumer, name="features-0-of-2.sqlite", store="feature_consumer_state-0"
    )
    server = start_metrics_port(settings, free_port(), host="127.0.0.1")
    server.routes[EXPORT_PREFIX] = subject_export_app(handler, gateway.platform.verifier)
    port = server.server_address[1]
    # slice i at 127.0.i.1: slice 1's address has no listener
    url = f"http://127.0.{{index}}.1:{port}/privacy/subjects/{{subject_id}}"
    monkeypatch.setattr(gateway.platform, "settings", _sliced(settings, url))
    try:
        export = gateway.client.get(f"/users/{user_id}/export", headers=headers)
        _other, stranger = gateway.make_user()
        refused = gateway.client.get(f"/users/{user_id}/export", headers=stranger)
    finally:
        server.shutdown()
        server.server_close()
        state.close()
    assert export.status_code == 200, export.text
    [record] = export.json()["stores"]["feature_consumer_state-0"]["consumer_state"]
    assert record["file"] == "features-0-of-2.sqlite"
    assert record["activity"]["event_count"] == 1
    assert record["mastery"]["rows"] == [
        {"skill_id": "arithmetic", "updated_at": facts["update"].timestamp.isoformat()}
    ]
    missing = export.json()["missing"]
    assert set(missing) == {"feature_consumer_state-1"}
    assert missing["feature_consumer_state-1"].startswith("ConnectError")
    assert refused.status_code == 403


def test_data_platform_exports_are_self_or_admin(gateway: Gateway) -> None:
    user_id, headers = gateway.make_user()
    _other, stranger = gateway.make_user()
    _admin, admin = gateway.make_user(Role.ADMIN)
    for store in ("lake", "feature-store"):
        path = f"/data-platform/{store}/privacy/subjects/{user_id}"
        assert gateway.client.get(path, headers=stranger).status_code == 403
        assert gateway.client.get(path).status_code == 401
        for who in (headers, admin):
            answer = gateway.client.get(path, headers=who)
            assert answer.status_code == 200, answer.text
            assert _held(answer.json()) == []  # a learner with no data: nothing, not an error


def test_exports_are_bounded_and_say_when_truncated(gateway: Gateway, stream_features: Any) -> None:
    user_id, _headers, facts = _active_learner(gateway)
    event = facts["event"]
    later = event.model_copy(update={"event_id": uuid.uuid4(), "verb": Verb.VIEWED})
    lake_of(gateway.platform.settings).write_events(events_to_table([later]))
    stream_features([event, later], [facts["update"], _mastery(later, 0.5, skill="fractions")])
    settings = gateway.platform.settings

    lake = LakeSubjectHandler(settings, limit=1).export_subject(user_id)["events"]
    assert (lake["total"], lake["truncated"], len(lake["rows"])) == (2, True, 1)
    assert lake["rows"][0]["event_id"] in {str(event.event_id), str(later.event_id)}
    whole = LakeSubjectHandler(settings).export_subject(user_id)["events"]
    assert (whole["total"], whole["truncated"], len(whole["rows"])) == (2, False, 2)

    features = FeatureStoreSubjectHandler(settings, limit=1).export_subject(user_id)
    assert features["online"]["truncated"] is True and len(features["online"]["rows"]) == 1
    [state] = features["consumer_state"]
    assert state["mastery"]["truncated"] is True
    assert [row["skill_id"] for row in state["mastery"]["rows"]] == ["arithmetic"]
    whole_features = FeatureStoreSubjectHandler(settings).export_subject(user_id)
    assert len(whole_features["online"]["rows"]) == 3  # activity + two skills
    assert whole_features["online"]["truncated"] is False


def test_erasure_fans_out_and_nothing_identifying_remains(
    gateway: Gateway, stream_features: Any, feature_store: Any
) -> None:
    user_id, headers, facts = _learner_with_features(gateway, stream_features)
    email = gateway.users[user_id]
    _admin_id, admin = gateway.make_user(Role.ADMIN)
    assert user_id in _dump_database(gateway)  # sanity: the checks below can fail
    before = gateway.client.get(f"/users/{user_id}/export", headers=admin).json()["stores"]
    held = {store for store, content in before.items() if _held(content)}
    assert {"users", "catalog", "assessments", "progress", "lake", "feature_store"} <= held
    assert {"learning_paths", "training_data"} <= held

    erased = gateway.client.delete(f"/users/{user_id}", headers=headers)
    assert erased.status_code == 202, erased.text
    request = gateway.client.get(
        f"/privacy/requests/{erased.json()['request_id']}", headers=admin
    ).json()
    stores = request["stores"]
    assert {"users", "catalog", "assessments", "progress", "lake", "feature_store"} <= set(stores)
    assert {k: s["status"] for k, s in stores.items()} == dict.fromkeys(stores, "done"), stores
    assert request["completed_at"] is not None
    assert stores["assessments"]["counts"]["attempts_deleted"] == 1
    assert stores["progress"]["counts"]["records_deleted"] >= 3
    assert stores["lake"]["counts"]["events_rows_deleted"] == 1
    assert stores["lake"]["counts"]["progress_rows_deleted"] == 1
    assert stores["feature_store"]["counts"]["online_rows_deleted"] >= 2
    assert stores["feature_store"]["counts"]["offline_rows_deleted"] == 2
    assert stores["learning_paths"]["counts"] == {"paths_deleted": 1, "replans_deleted": 1}
    assert stores["training_data"]["counts"] == {"files_rewritten": 2, "rows_deleted": 2}

    dump = _dump_database(gateway)
    for identifying in (user_id, email, facts["name"], facts["name"].split("-")[1]):
        assert identifying not in dump, identifying
    pseudonym = request["subject"]
    assert pseudonym.startswith("pn-") and pseudonym in dump  # authored content and audit remain
    lake = lake_of(gateway.platform.settings)
    remaining = lake.read_events().column("learner_id").to_pylist()
    assert user_id not in remaining and "someone-else" in remaining

    audit = gateway.client.get("/audit", params={"subject_id": user_id}, headers=admin).json()[
        "data"
    ]
    actions = {e["action"] for e in audit}
    assert {"privacy.erasure_requested", "privacy.erasure_done"} <= actions
    assert {e["subject"] for e in audit} == {pseudonym}
    # the account is gone; its content stays, owned by the pseudonym
    assert gateway.client.get("/users/me", headers=headers).status_code == 404
    course = gateway.client.get(f"/catalog/courses/{facts['course']}")
    assert course.status_code == 200
    after = gateway.client.get(f"/users/{user_id}/export", headers=admin).json()
    assert after["missing"] == {} and set(after["stores"]) == set(before)
    for store, content in after["stores"].items():
        assert _held(content) == [], (store, content)  # every store: nothing about them
    # ...while someone else's online features survive the erasure
    other = feature_store.get_online_features(
        features=["learner_activity_fv:event_count", "skill_mastery_fv:mastery"],
        entity_rows=[{"learner_id": "someone-else", "skill_id": "arithmetic"}],
    ).to_dict()
    assert other["event_count"][0] is not None and other["mastery"] == [0.3]
    offline = pq.read_table(gateway.platform.settings.feature_offline_path / "skill_mastery")
    assert "someone-else" in offline.column("learner_id").to_pylist()
    paths = PathStore(gateway.platform.settings.lps_database_url)
    assert paths.for_learner(user_id) == [] and paths.for_learner("someone-else")


def test_erasure_is_idempotent_and_only_for_self_or_admin(gateway: Gateway) -> None:
    user_id, headers = gateway.make_user()
    _other, stranger = gateway.make_user()
    assert gateway.client.delete(f"/users/{user_id}", headers=stranger).status_code == 403
    assert gateway.client.delete(f"/users/{user_id}", headers=headers).status_code == 202
    _admin_id, admin = gateway.make_user(Role.ADMIN)
    again = gateway.client.delete(f"/users/{user_id}", headers=admin)
    assert again.status_code == 404
    assert gateway.client.get(f"/privacy/requests/{uuid.uuid4()}", headers=admin).status_code == 404


def test_lake_files_stay_readable_after_erasure(gateway: Gateway, tmp_path: Path) -> None:
    user_id, headers, _ = _active_learner(gateway)
    gateway.client.delete(f"/users/{user_id}", headers=headers)
    table = lake_of(gateway.platform.settings).read_events()
    assert table.num_rows >= 1 and user_id not in table.column("learner_id").to_pylist()


def test_feature_store_export_and_erasure_on_redis(
    redis_server: ManagedProcess, tmp_path: Path
) -> None:
    """The production online store: the same rows exported, then erased, others kept. As in
    Kubernetes, the rows were written by another host (the feature consumer's registry and data
    folder are not this process's)."""
    import pandas as pd
    from feast.data_source import PushMode

    from features.feature_repo.store import apply, open_store

    online = {"online_store": "redis", "redis_url": f"127.0.0.1:{redis_server.port}"}
    consumer = Settings(data_dir=tmp_path / "consumer", features=online)
    settings = Settings(data_dir=tmp_path / "gateway", features=online)
    store = open_store(consumer)
    apply(consumer, store)
    me, other = f"learner-{uuid.uuid4().hex[:8]}", f"learner-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    store.push(
        "skill_mastery_push",
        pd.DataFrame(
            [
                {"learner_id": lid, "skill_id": skill, "event_timestamp": now, "mastery": m,
                 "mastery_model_version": "bkt@3"}
                for lid, skill, m in ((me, "s1", 0.2), (me, "s2", 0.9), (other, "s1", 0.4))
            ]
        ),
        to=PushMode.ONLINE,
    )  # fmt: skip
    handler = FeatureStoreSubjectHandler(settings)
    rows = handler.export_subject(me)["online"]["rows"]
    assert sorted((r["entity"]["skill_id"], r["features"]["mastery"]) for r in rows) == [
        ("s1", 0.2), ("s2", 0.9),
    ]  # fmt: skip
    assert {r["entity"]["learner_id"] for r in rows} == {me}
    assert handler.erase_subject(me, "pn-x")["online_rows_deleted"] == 2
    assert handler.export_subject(me)["online"]["rows"] == []
    assert [r["features"]["mastery"] for r in handler.export_subject(other)["online"]["rows"]] == [
        0.4
    ]
