"""``learnloop ingest``: topics and the stream consumers (lake sink, feature consumer).

Each consumer runs until SIGTERM/Ctrl-C, flushes, commits and exits. ``--metrics-port`` serves
its Prometheus metrics (consumer lag, throughput, dead letters) on ``/metrics`` (HTTPS when
``security.tls_cert_file`` is set). With ``security.consumer_state_erasure: consumer`` the
feature consumer also erases learners from its own state on GDPR erasure requests and, on its
metrics port, answers ``GET /privacy/subjects/{id}`` with what that state holds about them.
"""

from __future__ import annotations

import logging
import signal
import socket
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from learnloop.console import CliError, console
from learnloop.settings import Settings, get_settings

if TYPE_CHECKING:
    from features.streaming import PartitionSlice

app = typer.Typer(
    help="Event ingestion: topics, lake sink, feature consumer.", no_args_is_help=True
)
logger = logging.getLogger(__name__)


class SinkTopic(StrEnum):
    """Which stream the lake sink writes."""

    EVENTS = "events"
    PROGRESS = "progress"


MetricsPort = Annotated[
    int | None, typer.Option(help="Serve Prometheus metrics on this port (default: settings).")
]
IdleExit = Annotated[
    float | None, typer.Option(help="Exit after this many seconds without messages (batch jobs).")
]


def serve_metrics(settings: Settings, port: int | None) -> Any:
    """Prometheus ``/metrics`` on ``port`` of the API bind host (the pod IP in Kubernetes),
    over TLS when ``security.tls_cert_file`` is set; returns the (threaded) server, or None
    without a port."""
    if not port:
        return None
    from learnloop.web.metrics_port import start_metrics_port

    return start_metrics_port(settings, port)


def _run(consumer: Any, handler: Any, idle_exit: float | None) -> None:
    def stop(*_: object) -> None:
        consumer.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    consumer.run(handler, idle_exit_s=idle_exit)


def sink_consumer(settings: Settings, topic: SinkTopic) -> tuple[Any, Any]:
    """The lake sink of ``topic``: ``(BatchConsumer, handler)``."""
    from features.lake.sink import LEARNING_EVENTS_SINK, PROGRESS_SINK, LakeSink
    from features.streaming import BatchConsumer, DeadLetterPublisher, EventProducer, tune_gc
    from learnloop.resources import lake_from_settings

    kafka, ingest = settings.kafka, settings.ingest
    events = topic is SinkTopic.EVENTS
    group = ingest.sink_group if events else ingest.progress_sink_group
    producer = EventProducer(kafka, client_id=f"{group}-dlq")
    sink = LakeSink(
        lake_from_settings(settings),
        LEARNING_EVENTS_SINK if events else PROGRESS_SINK,
        dead_letters=DeadLetterPublisher(kafka, producer, group_id=group),
        group_id=group,
        compact_min_files=ingest.compact_min_files,
        index_entries=ingest.dedupe_cache_entries,
    )
    consumer = BatchConsumer(
        kafka,
        group_id=group,
        topics=[kafka.learning_event_topic if events else kafka.progress_update_topic],
        batch_size=ingest.batch_size,
        flush_interval_s=ingest.flush_interval_s,
        on_revoke=sink.on_revoke,
        on_assign=sink.on_assign,
    )
    tune_gc()
    return consumer, sink


def features_consumer(settings: Settings) -> tuple[Any, Any]:
    """The feature consumer (both topics → Feast online store): ``(BatchConsumer, handler)``."""
    from features.feature_repo.consumer import FeatureConsumer
    from features.feature_repo.state import StateStore
    from features.feature_repo.store import apply, open_store
    from features.streaming import BatchConsumer, topic_ids, tune_gc

    kafka, ingest = settings.kafka, settings.ingest
    topics = [kafka.learning_event_topic, kafka.progress_update_topic]
    part = features_slice(settings)
    store = open_store(settings)
    apply(settings, store)
    state = StateStore(settings.state_path / features_state_name(ingest.features_group, part))
    # expected on every start with the embedded in-memory broker; news with a real one
    level = logging.INFO if kafka.embedded else logging.WARNING
    for topic in state.follow(topic_ids(kafka, topics)):
        logger.log(
            level,
            "topic %s is a new log (its broker id changed): reading it from the start; "
            "events already applied are skipped by id",
            topic,
        )
    handler = FeatureConsumer(
        store,
        state,
        group_id=ingest.features_group,
        progress_topic=kafka.progress_update_topic,
        dedupe_window_days=ingest.dedupe_window_days,
    )
    consumer = BatchConsumer(
        kafka,
        group_id=ingest.features_group,
        topics=topics,
        batch_size=ingest.batch_size,
        flush_interval_s=ingest.flush_interval_s,
        partition_slice=part,
        start_positions=state.applied,
    )
    tune_gc()
    return consumer, handler


def features_slice(settings: Settings) -> PartitionSlice | None:
    """This feature consumer's fixed slice of the partitions (``ingest.features_instances`` > 1),
    else None (partitions by consumer-group membership)."""
    from features.streaming import PartitionSlice

    ingest = settings.ingest
    if ingest.features_instances == 1:
        return None
    if ingest.features_instance is None:
        raise CliError(
            f"ingest.features_instances is {ingest.features_instances}: set "
            "LEARNLOOP_INGEST__FEATURES_INSTANCE to this process's slice "
            f"(0..{ingest.features_instances - 1})"
        )
    return PartitionSlice(ingest.features_instance, ingest.features_instances)


def features_state_name(group: str, part: PartitionSlice | None) -> str:
    """File name of the state of consumer group ``group`` (slice ``part``) under
    ``<state_path>``: one per slice, so a state built from another slicing is never read back."""
    return f"{group}.sqlite" if part is None else f"{group}-{part.label}.sqlite"


def consumer_privacy(settings: Settings, handler: Any, metrics: Any = None) -> Any:
    """With ``security.consumer_state_erasure: consumer``, a started event bus on which this
    feature consumer answers erasure requests for its own state, else None; the export of that
    state is then mounted on ``metrics`` (the metrics port's server, if any) under
    ``/privacy/subjects/`` (bearer token of the subject or an admin).

    A slice answers as store ``feature_consumer_state-<index>`` in consumer group
    ``privacy-feature_consumer_state-<index>-<features group>`` (a restarted pod resumes its
    slice's requests); a single instance as ``feature_consumer_state`` in a group of its own
    per host (``…-<features group>-<host>``), as each host keeps its own state.
    """
    if settings.security.consumer_state_erasure != "consumer":
        return None
    from services.common.data_platform import ConsumerStateSubjectHandler
    from services.common.kafka_bus import KafkaEventBus
    from services.common.privacy import consumer_state_stores, subscribe_handler

    ingest = settings.ingest
    part = features_slice(settings)
    store = consumer_state_stores(ingest.features_instances)[part.index if part else 0]
    name = features_state_name(ingest.features_group, part)
    subjects = ConsumerStateSubjectHandler(handler, name=name, store=store)
    if metrics is not None:
        from services.common.auth import token_verifier
        from services.common.subject_export_wsgi import EXPORT_PREFIX, subject_export_app

        metrics.routes[EXPORT_PREFIX] = subject_export_app(subjects, token_verifier(settings))
    bus = KafkaEventBus(settings.kafka)
    owner = ingest.features_group if part else f"{ingest.features_group}-{socket.gethostname()}"
    subscribe_handler(bus, subjects, group=f"privacy-{store}-{owner}")
    bus.start()
    return bus


@app.command("topics")
def topics() -> None:
    """Create the event topics and their dead-letter topics (idempotent)."""
    from features.streaming import ensure_topics

    for name, partitions in sorted(ensure_topics(get_settings().kafka).items()):
        console.print(f"{name}: {partitions} partitions")


@app.command("sink")
def sink(
    topic: Annotated[SinkTopic, typer.Option(help="Stream to write into the lake.")] = (
        SinkTopic.EVENTS
    ),
    metrics_port: MetricsPort = None,
    idle_exit: IdleExit = None,
) -> None:
    """Run the lake sink: stream → partitioned parquet, exactly once, invalid → DLQ."""
    settings = get_settings()
    serve_metrics(settings, metrics_port or settings.ingest.metrics_port)
    consumer, handler = sink_consumer(settings, topic)
    _run(consumer, handler, idle_exit)
    stats = handler.stats
    console.print(
        f"lake sink stopped: {stats.written} written, {stats.duplicates} duplicates dropped, "
        f"{stats.dead_letters} dead letters, {stats.compacted_files} files compacted"
    )


@app.command("features")
def features(metrics_port: MetricsPort = None, idle_exit: IdleExit = None) -> None:
    """Run the feature consumer: streams → online features through Feast's push API."""
    settings = get_settings()
    metrics = serve_metrics(settings, metrics_port or settings.ingest.metrics_port)
    consumer, handler = features_consumer(settings)
    privacy = consumer_privacy(settings, handler, metrics)
    try:
        _run(consumer, handler, idle_exit)
    finally:
        if privacy is not None:
            privacy.stop()
    stats = handler.stats
    console.print(
        f"feature consumer stopped: {stats.events} events, {stats.duplicates} duplicates, "
        f"{stats.learner_rows_pushed} learner rows and {stats.mastery_rows_pushed} mastery rows "
        "pushed"
    )
