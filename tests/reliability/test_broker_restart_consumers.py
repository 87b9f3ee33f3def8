"""The broker crashes (SIGKILL) and restarts on the same port and S3 storage while a producer
sends and the consumers consume: every acknowledged event ends up exactly once in the lake (the
sink in-process), and in the lake, the Feast online store and progress with all three consumers
as real processes (as in test_stream_exactly_once.py).

(tests/integration/test_broker_faults.py shows the acknowledged events survive in the broker;
this follows them through a consumer that lives through the crash. Non-idempotent producer,
as there: tansu's idempotent producer loses acks across a restart on s3 storage.)
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from functools import partial
from pathlib import Path

import pytest
from testkit.events import make_events
from testkit.paced import produce_paced
from testkit.s3_broker import S3BrokerStorage, s3_broker_storage
from testkit.streaming import kafka_settings, read_all, wait_caught_up

from features.lake import Lake
from features.lake.sink import LEARNING_EVENTS_SINK, LakeSink
from features.streaming import (
    BatchConsumer,
    DeadLetterPublisher,
    EventProducer,
    encode,
)
from learnloop.localstack import ManagedProcess, free_port, start_broker

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _crash_and_restart(
    brokers: list[ManagedProcess], directory: Path, s3: S3BrokerStorage, producing: threading.Thread
) -> None:
    """SIGKILL ``brokers[0]``, restart it on the same port and storage, let the producer finish."""
    port = brokers[0].port
    brokers[0].kill()
    time.sleep(0.5)
    brokers[0] = start_broker(directory, port=port, storage=s3.storage, env=s3.env)
    producing.join(timeout=180)
    assert not producing.is_alive()


def test_lake_sink_through_a_broker_crash_stores_each_acknowledged_event_once(
    s3_server: ManagedProcess, tmp_path: Path
) -> None:
    s3 = s3_broker_storage(s3_server)
    port = free_port()
    brokers = [start_broker(tmp_path / "b0", port=port, storage=s3.storage, env=s3.env)]
    try:
        kafka = kafka_settings(port, partitions=2, idempotent_producer=False)
        topic = kafka.learning_event_topic
        events = make_events(500, learners=10)
        acked: list[str] = []

        outgoing = [(str(e.event_id), encode(e, topic).value, None) for e in events]
        produce = partial(produce_paced, kafka, topic, outgoing, acked, pause_s=0.006)

        lake = Lake.from_uri(str(tmp_path / "lake"))
        group = f"sink-{uuid.uuid4().hex[:6]}"
        with EventProducer(kafka) as dlq_producer:
            sink = LakeSink(
                lake,
                LEARNING_EVENTS_SINK,
                dead_letters=DeadLetterPublisher(kafka, dlq_producer, group_id=group),
                group_id=group,
            )
            consumer = BatchConsumer(
                kafka, group_id=group, topics=[topic], batch_size=100, flush_interval_s=0.2,
                on_assign=sink.on_assign, on_revoke=sink.on_revoke,
            )  # fmt: skip
            sinking = threading.Thread(target=consumer.run, args=(sink,))
            producing = threading.Thread(target=produce)
            sinking.start()
            producing.start()
            deadline = time.monotonic() + 60
            while sink.stats.written == 0:  # crash once the sink is mid-stream
                assert time.monotonic() < deadline, "the sink never started writing"
                time.sleep(0.05)
            _crash_and_restart(brokers, tmp_path / "b1", s3, producing)
            in_topic = read_all(kafka, topic, idle_s=6)
            wait_caught_up(kafka, group, topic, len(in_topic), timeout=120)
            consumer.stop()
            sinking.join(timeout=60)
    finally:
        brokers[0].stop()

    ids = lake.read_events(columns=["event_id"]).column("event_id").to_pylist()
    assert len(acked) > len(events) // 2, "most events must have been acknowledged"
    assert set(acked) <= set(ids), f"{len(set(acked) - set(ids))} acknowledged events missing"
    assert len(ids) == len(set(ids)), "an event stored twice"
    assert set(ids) == {json.loads(m.value() or b"")["event_id"] for m in in_topic}


def test_all_consumers_through_a_broker_crash_apply_each_acknowledged_event_once(
    s3_server: ManagedProcess, dataset_dir: Path, tmp_path: Path
) -> None:
    """Lake sink, feature consumer and progress (real processes) live through a broker crash."""
    from reliability.test_stream_exactly_once import (
        GROUPS,
        _env,
        _events,
        _online_event_counts,
        _process,
        _scalar,
    )

    s3 = s3_broker_storage(s3_server)
    port = free_port()
    brokers = [start_broker(tmp_path / "b0", port=port, storage=s3.storage, env=s3.env)]
    running: dict[str, ManagedProcess] = {}
    try:
        kafka = kafka_settings(port, partitions=2, idempotent_producer=False)
        env = _env(kafka, tmp_path, dataset_dir)
        env["LEARNLOOP_KAFKA__IDEMPOTENT_PRODUCER"] = "false"  # see the module docstring
        progress_db = tmp_path / "learnloop.db"
        features_state = tmp_path / "state" / f"{GROUPS['features']}.sqlite"
        running = {name: _process(name, env, tmp_path) for name in GROUPS}
        events = _events(200)
        acked: list[str] = []
        topic = kafka.learning_event_topic
        outgoing = [(str(e.event_id), encode(e, topic).value, e.learner_id) for e in events]
        # The first events go before the crash, once the consumers are up (process start-up
        # takes tens of seconds on a loaded machine); the rest are in flight when it comes.
        produce_paced(kafka, topic, outgoing[:20], acked, pause_s=0.01)
        deadline = time.monotonic() + 120
        while _scalar(features_state, "SELECT sum(next_offset) FROM applied") == 0:
            assert time.monotonic() < deadline, "the feature consumer never applied a batch"
            time.sleep(0.05)
        producing = threading.Thread(
            target=produce_paced,
            args=(kafka, topic, outgoing[20:], acked),
            kwargs={"pause_s": 0.05},
        )
        producing.start()
        time.sleep(2.0)
        crashed_mid_stream = producing.is_alive()
        _crash_and_restart(brokers, tmp_path / "b1", s3, producing)
        in_topic = read_all(kafka, topic, idle_s=6)
        # Generous: after the restart, moto (tansu's S3) serves the catch-up on a shared core.
        for group in GROUPS.values():
            wait_caught_up(kafka, group, topic, len(in_topic), timeout=180)
        updates = read_all(kafka, kafka.progress_update_topic, idle_s=6)
        wait_caught_up(
            kafka, GROUPS["features"], kafka.progress_update_topic, len(updates), timeout=180
        )
    finally:
        for process in running.values():
            process.stop()
        brokers[0].stop()

    by_id = {str(e.event_id): e for e in events}
    stored_ids = {json.loads(m.value() or b"")["event_id"] for m in in_topic}
    stored = [by_id[i] for i in sorted(stored_ids)]
    answers = [e for e in stored if e.correct is not None and e.skill_ids]
    assert crashed_mid_stream, "the producer had finished before the crash"
    assert len(acked) > len(events) // 2, "most events must have been acknowledged"
    assert set(acked) <= stored_ids, f"{len(set(acked) - stored_ids)} acknowledged events lost"

    lake = Lake.from_uri(str(tmp_path / "lake"))
    ids = lake.read_events(columns=["event_id"]).column("event_id").to_pylist()
    assert len(ids) == len(set(ids)) and set(ids) == stored_ids

    assert _scalar(progress_db, "SELECT count(*) FROM pts_processed_events") == len(answers)
    causes = Counter(json.loads(m.value() or b"")["cause_event_id"] for m in updates)
    assert set(causes) == {str(e.event_id) for e in answers}

    per_learner = Counter(e.learner_id for e in stored)
    assert _online_event_counts(tmp_path, per_learner) == per_learner
