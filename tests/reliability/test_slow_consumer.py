"""A slow consumer: its batch takes longer than ``max.poll.interval.ms``, so the client leaves the
group mid-batch (its commit is refused), rejoins and is handed the same messages again. The lake
still holds every event exactly once, and the redelivery really happened."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest
from confluent_kafka import Message, TopicPartition
from testkit.events import make_events
from testkit.streaming import kafka_settings, produce_events

from features.lake import Lake
from features.lake.sink import LEARNING_EVENTS_SINK, LakeSink
from features.streaming import BatchConsumer, DeadLetterPublisher, EventProducer
from learnloop.localstack import ManagedProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]
POLL_INTERVAL_MS = 6000


class SlowOnce:
    """The sink, stalled longer than the poll interval on its first batch."""

    def __init__(self, sink: LakeSink, stall_s: float):
        self.sink = sink
        self.stall_s = stall_s
        self.batches = 0

    def __call__(self, messages: Sequence[Message]) -> None:
        self.batches += 1
        self.sink(messages)
        if self.batches == 1:
            time.sleep(self.stall_s)


def test_consumer_slower_than_the_poll_interval_stores_each_event_once(
    broker: ManagedProcess, tmp_path: Path
) -> None:
    kafka = kafka_settings(broker.port, partitions=2)
    events = make_events(600, learners=12)
    produce_events(kafka, events)
    lake = Lake.from_uri(str(tmp_path / "lake"))
    group = f"slow-{uuid.uuid4().hex[:6]}"
    assignments: list[int] = []
    with EventProducer(kafka) as producer:
        sink = LakeSink(
            lake,
            LEARNING_EVENTS_SINK,
            dead_letters=DeadLetterPublisher(kafka, producer, group_id=group),
            group_id=group,
        )

        def assigned(partitions: list[TopicPartition]) -> None:
            assignments.append(len(partitions))
            sink.on_assign(partitions)

        consumer = BatchConsumer(
            kafka,
            group_id=group,
            topics=[kafka.learning_event_topic],
            batch_size=200,
            flush_interval_s=0.2,
            config={"max.poll.interval.ms": POLL_INTERVAL_MS},
            on_assign=assigned,
            on_revoke=sink.on_revoke,
        )
        slow = SlowOnce(sink, stall_s=POLL_INTERVAL_MS / 1000 + 3)
        consumer.run(slow, idle_exit_s=4.0)

    ids = lake.read_events(columns=["event_id"]).column("event_id").to_pylist()
    assert len(ids) == len(set(ids)) == len(events)
    assert set(ids) == {str(e.event_id) for e in events}
    assert len(assignments) >= 2, "the stalled consumer should have left and rejoined the group"
    assert sink.stats.duplicates > 0, "the stalled batch should have been delivered again"
