"""A consumer that loses partitions in a rebalance stops reporting their lag (the new owner
does)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from confluent_kafka import TopicPartition
from prometheus_client import REGISTRY

from features.streaming.consumer import BatchConsumer
from features.streaming.metrics import CONSUMER_LAG
from learnloop.settings import KafkaSettings


def _lag(group: str, partition: int) -> float | None:
    labels = {"group": group, "topic": "t", "partition": str(partition)}
    return REGISTRY.get_sample_value("learnloop_kafka_consumer_lag", labels)


@pytest.fixture(params=["single-process", "after feast.metrics"])
def prometheus_env(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> str:
    """As started, and as after ``import feast.metrics`` (which sets the multiprocess dir for
    the whole process)."""
    if request.param == "after feast.metrics":
        monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    return request.param


def test_revoked_and_lost_partitions_drop_their_lag_series(prometheus_env: str) -> None:
    revoked: list[list[TopicPartition]] = []
    consumer = BatchConsumer(
        KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        group_id="lag-test",
        topics=["t"],
        on_revoke=revoked.append,
    )
    for p in range(3):
        CONSUMER_LAG.labels("lag-test", "t", str(p)).set(10 + p)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        consumer._revoked(consumer._consumer, [TopicPartition("t", 0)])
        consumer._lost(consumer._consumer, [TopicPartition("t", 1), TopicPartition("t", 7)])
    assert _lag("lag-test", 0) is None and _lag("lag-test", 1) is None
    assert _lag("lag-test", 2) == 12  # still ours
    assert [[p.partition for p in ps] for ps in revoked] == [[0], [1, 7]]
    assert consumer.assignment == []
