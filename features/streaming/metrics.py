"""Prometheus metrics of producers and consumers (exported by whatever process runs them)."""

from __future__ import annotations

import contextlib
import warnings

from prometheus_client import Counter, Gauge, Histogram

PRODUCED = Counter(
    "learnloop_kafka_produced_total",
    "Messages handed to the broker, by topic and outcome (delivered, failed).",
    ["topic", "outcome"],
)
CONSUMED = Counter(
    "learnloop_kafka_consumed_total",
    "Messages processed by a consumer group, by topic and outcome (ok, dead_letter, skipped).",
    ["group", "topic", "outcome"],
)
DEAD_LETTERS = Counter(
    "learnloop_kafka_dead_letters_total",
    "Messages sent to a dead-letter topic, by source topic.",
    ["group", "topic"],
)
CONSUMER_LAG = Gauge(
    "learnloop_kafka_consumer_lag",
    "Messages behind the partition's high watermark, per consumer group and partition.",
    ["group", "topic", "partition"],
)
BATCHES = Counter(
    "learnloop_kafka_batches_total",
    "Batches handled by a consumer group, by outcome (committed, retried).",
    ["group", "outcome"],
)
BATCH_SECONDS = Histogram(
    "learnloop_kafka_batch_seconds",
    "Time to make one batch durable (handler run), per consumer group.",
    ["group"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def forget_lag(group: str, topic: str, partition: int) -> None:
    """Stop reporting a partition's lag (after a rebalance its new owner reports it).

    Importing ``feast.metrics`` sets ``PROMETHEUS_MULTIPROC_DIR`` for the whole process, and
    prometheus_client then warns on every ``remove``. ``/metrics`` exports this process's own
    registry, from which the series is removed all the same, so that warning is silenced here.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Removal of labels", UserWarning)
        with contextlib.suppress(KeyError):  # older prometheus_client: never reported
            CONSUMER_LAG.remove(group, topic, str(partition))
