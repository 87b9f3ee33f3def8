"""The broker crashes (SIGKILL) and restarts on the same port and S3 storage while a producer
sends and the lake sink consumes: every acknowledged event ends up in the lake exactly once.

(tests/integration/test_broker_faults.py shows the acknowledged events survive in the broker;
this follows them through a consumer that lives through the crash. Non-idempotent producer,
as there: tansu's idempotent producer loses acks across a restart on s3 storage.)
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from functools import partial
from pathlib import Path

import boto3
import pytest
from testkit.events import make_events
from testkit.paced import produce_paced
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


def _s3_env(s3_server: ManagedProcess) -> tuple[str, dict[str, str]]:
    bucket = f"tansu-{uuid.uuid4().hex[:8]}"
    endpoint = f"http://127.0.0.1:{s3_server.port}"
    env = {
        "AWS_ENDPOINT": endpoint,
        "AWS_ALLOW_HTTP": "true",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    ).create_bucket(Bucket=bucket)  # fmt: skip
    return f"s3://{bucket}/", env


def test_lake_sink_through_a_broker_crash_stores_each_acknowledged_event_once(
    s3_server: ManagedProcess, tmp_path: Path
) -> None:
    storage, env = _s3_env(s3_server)
    port = free_port()
    brokers = [start_broker(tmp_path / "b0", port=port, storage=storage, env=env)]
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
            brokers[0].kill()
            time.sleep(0.5)
            brokers[0] = start_broker(tmp_path / "b1", port=port, storage=storage, env=env)
            producing.join(timeout=180)
            assert not producing.is_alive()
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
