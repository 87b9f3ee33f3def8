"""GDPR erasure reaches a feature consumer's own state (``security.consumer_state_erasure:
consumer``, as in Kubernetes where each consumer pod keeps its state on its own disk).

The real consumer process (``learnloop ingest features``) reads two learners' events and mastery
updates from the session's broker; a ``DataSubjectRequest`` for one of them, published twice,
leaves the other's state intact and is answered twice on ``DataSubjectRequestResult`` by store
``feature_consumer_state``: the rows deleted, then nothing left to delete. Before and after,
the process's metrics port exports what its state holds about the learner (to the learner's own
token only).
"""

from __future__ import annotations

import sqlite3
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from testkit.events import make_events
from testkit.streaming import kafka_env, kafka_settings, produce_events

from features.events import LearningEvent, ProgressUpdateEvent
from features.feature_repo.aggregates import LearnerActivity
from features.streaming import EventProducer, encode
from learnloop.localstack import ManagedProcess, free_port
from learnloop.settings import KafkaSettings, Settings
from services.common.auth import identity_keys
from services.common.events import PRIVACY_REQUEST_TOPIC, PRIVACY_RESULT_TOPIC
from services.common.kafka_bus import KafkaEventBus
from services.common.privacy import DataSubjectRequest, DataSubjectResult, consumer_state_stores
from services.users.tokens import AccessTokenIssuer

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
STORE = "feature_consumer_state"
ISSUER = "https://learnloop.test"


def _bearer(data_dir: Path, subject: str) -> dict[str, str]:
    """A learner's access token, signed with the identity keys in ``data_dir`` (the consumer
    process verifies with the same folder's public keys)."""
    keys = identity_keys(Settings(data_dir=data_dir))
    keys.ensure()
    issuer = AccessTokenIssuer(keys=keys, issuer=ISSUER, audience="learnloop-api", ttl_s=600)
    return {"Authorization": f"Bearer {issuer.issue(subject=subject, roles=['learner'])}"}


def _exported(process: ManagedProcess, subject: str, headers: dict[str, str]) -> httpx.Response:
    """The consumer's export of ``subject`` from its own state (its metrics port)."""
    return httpx.get(f"http://127.0.0.1:{process.port}/privacy/subjects/{subject}", headers=headers)


def _consumer_process(
    kafka: KafkaSettings, data_dir: Path, group: str, **settings: str
) -> ManagedProcess:
    """``learnloop ingest features`` in ``consumer`` erasure mode; ``settings``: more
    ``LEARNLOOP_INGEST__*`` values (``FEATURES_INSTANCE="1"`` …)."""
    port = free_port()
    env = {
        "PYTHONPATH": str(ROOT),
        "LEARNLOOP_DATA_DIR": str(data_dir),
        "LEARNLOOP_LOG_JSON": "false",
        **kafka_env(kafka),
        "LEARNLOOP_INGEST__FEATURES_GROUP": group,
        "LEARNLOOP_INGEST__BATCH_SIZE": "100",
        "LEARNLOOP_INGEST__FLUSH_INTERVAL_S": "0.2",
        "LEARNLOOP_SECURITY__CONSUMER_STATE_ERASURE": "consumer",
        "LEARNLOOP_AUTH__ISSUER": ISSUER,
        **{f"LEARNLOOP_INGEST__{key}": value for key, value in settings.items()},
    }
    argv = [sys.executable, "-m", "learnloop.cli", "ingest", "features", "--metrics-port"]
    return ManagedProcess(
        "features", [*argv, str(port)], port=port, log_path=data_dir / "features.log",
        env=env, cwd=ROOT, startup_timeout=60,
    ).start()  # fmt: skip


def _rows(state: Path) -> dict[str, tuple[int, int]]:
    """Per learner: (aggregate rows, mastery rows) in the consumer's state file."""
    if not state.exists():
        return {}
    try:
        with sqlite3.connect(state, timeout=5) as db:
            learners = dict(db.execute("SELECT learner_id, 1 FROM learner").fetchall())
            mastery = dict(
                db.execute("SELECT learner_id, count(*) FROM mastery GROUP BY learner_id")
            )
    except sqlite3.OperationalError:  # tables not created yet
        return {}
    return {k: (learners.get(k, 0), mastery.get(k, 0)) for k in {*learners, *mastery}}


def _wait(
    condition: Callable[[], bool], what: str, process: ManagedProcess, *, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.running, process.log_tail()
        assert time.monotonic() < deadline, f"{what}:\n{process.log_tail()}"
        time.sleep(0.2)


def _results(
    kafka: KafkaSettings, request_id: uuid.UUID, want: int, stores: tuple[str, ...] = (STORE,)
) -> list[DataSubjectResult]:
    """The answers of ``stores`` to ``request_id`` (waits for ``want`` of them)."""
    reader = Consumer(
        {
            **kafka.client_config(),
            "group.id": f"reader-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
        }
    )
    topic = reader.list_topics(PRIVACY_RESULT_TOPIC, timeout=10).topics[PRIVACY_RESULT_TOPIC]
    reader.assign(
        [TopicPartition(PRIVACY_RESULT_TOPIC, p, OFFSET_BEGINNING) for p in topic.partitions]
    )
    found: list[DataSubjectResult] = []
    deadline = time.monotonic() + 30
    try:
        while len(found) < want and time.monotonic() < deadline:
            message = reader.poll(0.5)
            if message is None or message.error() or not message.value():
                continue
            result = DataSubjectResult.model_validate_json(message.value() or b"")
            if result.request_id == request_id and result.store in stores:
                found.append(result)
    finally:
        reader.close()
    return found


def test_feature_consumer_erases_a_learner_from_its_own_state(
    broker: ManagedProcess, tmp_path: Path
) -> None:
    kafka = kafka_settings(broker.port, partitions=2)
    events = make_events(40, learners=2)  # learners l0 and l1
    updates = [
        ProgressUpdateEvent(
            learner_id=learner, skill_id=skill, mastery=0.6, model_name="bkt",
            model_version="1", cause_event_id=events[0].event_id, timestamp=events[0].timestamp,
        )
        for learner in ("l0", "l1")
        for skill in ("s1", "s2")
    ]  # fmt: skip
    produce_events(kafka, events)
    with EventProducer(kafka) as producer:
        producer.send_all([encode(u, kafka.progress_update_topic) for u in updates])
    group = f"erasure-features-{uuid.uuid4().hex[:6]}"
    state = tmp_path / "state" / f"{group}.sqlite"
    process = _consumer_process(kafka, tmp_path, group)
    bus = KafkaEventBus(kafka)
    try:
        both = {"l0": (1, 2), "l1": (1, 2)}
        _wait(lambda: _rows(state) == both, "state of both learners", process, timeout=50)
        token = _bearer(tmp_path, "l0")
        before = _exported(process, "l0", token)
        refused = _exported(process, "l1", token)
        request = DataSubjectRequest(subject_id="l0", pseudonym="pn-l0")
        for _ in range(2):  # redelivered / re-requested: harmless
            bus.publish(
                PRIVACY_REQUEST_TOPIC, request.pseudonym, request.model_dump_json().encode()
            )
        first, second = _results(kafka, request.request_id, want=2)
        after = _exported(process, "l0", token)
        assert process.running, process.log_tail()
    finally:
        bus.stop()
        process.stop()

    assert (first.status, first.pseudonym) == ("done", "pn-l0")
    assert first.counts == {"learner_rows_deleted": 1, "mastery_rows_deleted": 2}
    assert second.status == "done"
    assert second.counts == {"learner_rows_deleted": 0, "mastery_rows_deleted": 0}
    assert _rows(state) == {"l1": (1, 2)}
    assert before.status_code == 200, before.text
    [record] = before.json()["consumer_state"]
    assert record["file"] == state.name
    assert record["activity"]["event_count"] == sum(e.learner_id == "l0" for e in events)
    assert [row["skill_id"] for row in record["mastery"]["rows"]] == ["s1", "s2"]
    assert refused.status_code == 403
    assert after.status_code == 200 and after.json() == {"consumer_state": []}


def _event_counts(state: Path) -> dict[str, int]:
    """Per learner: events counted in the consumer's state file (``LearnerActivity``)."""
    if not state.exists():
        return {}
    try:
        with sqlite3.connect(state, timeout=5) as db:
            rows = db.execute("SELECT learner_id, state FROM learner").fetchall()
    except sqlite3.OperationalError:  # tables not created yet
        return {}
    return {learner: LearnerActivity.from_json(text).event_count for learner, text in rows}


def test_partition_slices_keep_disjoint_state_across_restarts_and_each_answers_erasure(
    broker: ManagedProcess, tmp_path: Path
) -> None:
    """Two consumer processes as slices 0 and 1 of 2 (the Kubernetes StatefulSet): each learner's
    events are counted exactly once, by one slice, also after both restart, slice 0 resuming
    its state and slice 1 on a new, empty volume (rebuilt from the topic); an erasure request is
    answered by both slices, as their own stores."""
    kafka = kafka_settings(broker.port, partitions=2)
    learners = 6
    # learner ids of their own: the privacy topic is shared, and a new slice's privacy group
    # replays the retained requests of earlier tests (which erase l0)
    events = [
        e.model_copy(update={"learner_id": f"sliced-{e.learner_id}"})
        for e in make_events(90, learners=learners)
    ]
    first_part, later = events[:60], events[60:]
    produce_events(kafka, first_part)
    group = f"sliced-features-{uuid.uuid4().hex[:6]}"
    states = [tmp_path / f"slice{i}" / "state" / f"{group}-{i}-of-2.sqlite" for i in range(2)]

    def start(index: int) -> ManagedProcess:
        return _consumer_process(
            kafka, tmp_path / f"slice{index}", group,
            FEATURES_INSTANCES="2", FEATURES_INSTANCE=str(index),
        )  # fmt: skip

    def expected(sent: list[LearningEvent]) -> dict[str, int]:
        return dict(Counter(e.learner_id for e in sent))

    def answering(process: ManagedProcess, index: int) -> bool:
        """The slice's erasure consumer joined its group (stopping a consumer mid-join leaves a
        member that tansu waits for on the next join)."""
        log = process.log_path.read_text(errors="replace") if process.log_path.exists() else ""
        return f"privacy-feature_consumer_state-{index}-{group} assigned" in log

    def merged() -> dict[str, int]:
        counts = [_event_counts(state) for state in states]
        assert not set(counts[0]) & set(counts[1]), "a learner is kept by both slices"
        return {**counts[0], **counts[1]}

    processes = [start(0), start(1)]
    bus = KafkaEventBus(kafka)
    try:
        _wait(lambda: merged() == expected(first_part), "both slices", processes[0], timeout=60)
        assert all(_event_counts(state) for state in states), "one slice got no learner"
        for index, process in enumerate(processes):
            ready = partial(answering, process, index)
            _wait(ready, "erasure consumer", process, timeout=30)
            process.stop()
        produce_events(kafka, later)  # both down: each share waits in its partitions
        for leftover in states[1].parent.glob(f"{states[1].name}*"):  # slice 1's volume is lost
            leftover.unlink()
        processes = [start(0), start(1)]
        _wait(lambda: merged() == expected(events), "after restart", processes[1], timeout=60)
        time.sleep(1.0)  # a replay of applied messages would show up as extra counts
        assert merged() == expected(events)

        erased = next(iter(_event_counts(states[1])))
        request = DataSubjectRequest(subject_id=erased, pseudonym=f"pn-{erased}")
        bus.publish(PRIVACY_REQUEST_TOPIC, request.pseudonym, request.model_dump_json().encode())
        stores = consumer_state_stores(2)
        results = _results(kafka, request.request_id, want=2, stores=stores)
        assert all(p.running for p in processes), processes[0].log_tail()
    finally:
        bus.stop()
        for process in processes:
            process.stop()

    by_store = {r.store: r for r in results}
    assert set(by_store) == {"feature_consumer_state-0", "feature_consumer_state-1"}
    assert by_store["feature_consumer_state-1"].counts["learner_rows_deleted"] == 1
    assert by_store["feature_consumer_state-0"].counts["learner_rows_deleted"] == 0
    assert erased not in merged() and len(merged()) == learners - 1
