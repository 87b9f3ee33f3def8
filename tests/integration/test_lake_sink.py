"""The lake sink against the real broker and an S3-compatible server (moto).

* ``kill -9`` of the sink process mid-stream, then a restart: every event in the lake once.
* 1 % malformed messages: each one in the dead-letter topic with its reason and untouched
  payload; every valid event stored; small files compacted on the way.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from prometheus_client import REGISTRY
from testkit.events import make_events
from testkit.streaming import kafka_settings, produce_events, read_all, wait_caught_up

from features.events import LearningEvent
from features.lake import Lake
from features.lake.sink import LEARNING_EVENTS_SINK, LakeSink
from features.streaming import REASON_HEADER, BatchConsumer, DeadLetterPublisher, EventProducer
from features.streaming.dlq import header
from learnloop.localstack import ManagedProcess, free_port
from learnloop.settings import KafkaSettings

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def _events(n: int, learners: int) -> list[LearningEvent]:
    """Events over about two days (a sink batch spans few partitions, as in production)."""
    start = datetime(2026, 3, 2, 20, tzinfo=UTC)
    return [
        e.model_copy(update={"timestamp": start + timedelta(seconds=30 * i)})
        for i, e in enumerate(make_events(n, learners=learners))
    ]


def _s3_lake(s3_server: ManagedProcess) -> tuple[Lake, dict[str, str]]:
    endpoint = f"http://127.0.0.1:{s3_server.port}"
    bucket = f"sink-{uuid.uuid4().hex[:8]}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    ).create_bucket(Bucket=bucket)
    env = {
        "LEARNLOOP_LAKE__URI": f"s3://{bucket}/lake",
        "LEARNLOOP_LAKE__S3_ENDPOINT": endpoint,
        "LEARNLOOP_LAKE__S3_ACCESS_KEY": "test",
        "LEARNLOOP_LAKE__S3_SECRET_KEY": "test",
    }
    lake = Lake.from_uri(
        env["LEARNLOOP_LAKE__URI"], s3_endpoint=endpoint, s3_access_key="test", s3_secret_key="test"
    )
    return lake, env


def _sink_process(kafka: KafkaSettings, env: dict[str, str], workdir: Path) -> ManagedProcess:
    port = free_port()
    env = {
        **env,
        "LEARNLOOP_DATA_DIR": str(workdir),
        "LEARNLOOP_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "LEARNLOOP_KAFKA__LEARNING_EVENT_TOPIC": kafka.learning_event_topic,
        "LEARNLOOP_KAFKA__SESSION_TIMEOUT_MS": "6000",
        "LEARNLOOP_KAFKA__HEARTBEAT_INTERVAL_MS": "1000",
        "LEARNLOOP_INGEST__SINK_GROUP": f"sink-{kafka.learning_event_topic}",
        "LEARNLOOP_INGEST__BATCH_SIZE": "500",
        "LEARNLOOP_INGEST__FLUSH_INTERVAL_S": "0.2",
        "LEARNLOOP_LOG_JSON": "false",
        "PYTHONPATH": str(ROOT),
    }
    argv = [sys.executable, "-m", "learnloop.cli", "ingest", "sink", "--metrics-port", str(port)]
    return ManagedProcess(
        "sink", argv, port=port, log_path=workdir / "sink.log", env=env, cwd=ROOT
    ).start()


def test_kill_9_mid_stream_then_restart_stores_every_event_once(
    broker: ManagedProcess, s3_server: ManagedProcess, tmp_path: Path
) -> None:
    kafka = kafka_settings(broker.port)
    lake, env = _s3_lake(s3_server)
    events = _events(6000, learners=40)
    messages = events + events[::50]  # 2 % resent by a retrying client
    produce_events(kafka, messages)
    sink = _sink_process(kafka, env, tmp_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(lake.files("events")) < 3:
        time.sleep(0.05)
    sink.kill()  # SIGKILL, mid-stream
    stored_before = lake.read_events(columns=["event_id"]).num_rows
    assert 0 < stored_before < len(events), "the kill should land mid-stream"
    sink = _sink_process(kafka, env, tmp_path)
    try:
        group = f"sink-{kafka.learning_event_topic}"
        wait_caught_up(kafka, group, kafka.learning_event_topic, len(messages))
    finally:
        sink.stop()
    ids = lake.read_events(columns=["event_id"]).column("event_id").to_pylist()
    assert len(ids) == len(set(ids)) == len(events)
    assert set(ids) == {str(e.event_id) for e in events}
    assert not lake.dataset_files("events").plans()


def test_malformed_messages_go_to_the_dlq_with_reasons_rest_stored_and_compacted(
    broker: ManagedProcess, tmp_path: Path
) -> None:
    kafka = kafka_settings(broker.port)
    lake = Lake.from_uri(str(tmp_path / "lake"))
    events = _events(1980, learners=30)
    malformed = [
        b'{"learner_id": "l1", "verb": "jumped"}',
        b"not json at all",
        *[json.dumps({"event_id": str(uuid.uuid4()), "bogus": i}).encode() for i in range(18)],
    ]
    produce_events(kafka, events, raw=malformed)
    group = f"sink-{uuid.uuid4().hex[:6]}"
    with EventProducer(kafka) as producer:
        sink = LakeSink(
            lake,
            LEARNING_EVENTS_SINK,
            dead_letters=DeadLetterPublisher(kafka, producer, group_id=group),
            group_id=group,
            compact_min_files=4,
        )
        lag_when_leaving: list[float | None] = []

        def on_revoke(partitions: list[Any]) -> None:  # lag as a scrape reads it, then leave
            lag_when_leaving.extend(_lag(group, kafka.learning_event_topic, p) for p in range(3))
            sink.on_revoke(partitions)

        consumer = BatchConsumer(
            kafka,
            group_id=group,
            topics=[kafka.learning_event_topic],
            batch_size=200,
            flush_interval_s=0.2,
            on_revoke=on_revoke,
        )
        consumer.run(sink, idle_exit_s=2.0)
    stored = lake.read_events(columns=["event_id"]).column("event_id").to_pylist()
    assert sorted(stored) == sorted(str(e.event_id) for e in events)
    assert sink.stats.compacted_files > 0
    assert len(lake.files("events")) < sink.stats.files_written
    letters = read_all(kafka, kafka.learning_event_topic + kafka.dead_letter_suffix)
    assert sorted(m.value() for m in letters) == sorted(malformed)
    reasons = {m.value(): header(m, REASON_HEADER) for m in letters}
    assert "verb: unknown verb 'jumped'" in (reasons[malformed[0]] or "")
    assert "Invalid JSON" in (reasons[malformed[1]] or "")
    assert all(header(m, "dlq.source.topic") == kafka.learning_event_topic for m in letters)
    sample = REGISTRY.get_sample_value  # the Prometheus metrics a scrape would read
    topic = kafka.learning_event_topic
    labels = {"group": group, "topic": topic}
    assert sample("learnloop_kafka_dead_letters_total", labels) == len(malformed)
    assert sample("learnloop_kafka_consumed_total", {**labels, "outcome": "ok"}) == len(events)
    assert lag_when_leaving[-3:] == [0.0, 0.0, 0.0]  # caught up when it left the group ...
    assert [_lag(group, topic, p) for p in range(3)] == [None] * 3  # ... and stopped reporting


def _lag(group: str, topic: str, partition: int) -> float | None:
    labels = {"group": group, "topic": topic, "partition": str(partition)}
    return REGISTRY.get_sample_value("learnloop_kafka_consumer_lag", labels)
