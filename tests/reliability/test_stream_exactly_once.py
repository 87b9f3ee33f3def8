"""Every acknowledged event exactly once in the lake, the feature store and progress, through
a SIGKILL of each consumer mid-stream, client resends and poison messages.

Real processes on loopback against the session's broker: the lake sink and the feature consumer
(``learnloop ingest sink|features``) and the progress service (uvicorn; its KT consumer turns
answers into mastery and ProgressUpdateEvents, which the feature consumer reads too). Each is
SIGKILLed as soon as it has made some progress, and restarted with the same consumer group.
Broker crashes are covered by tests/integration/test_broker_faults.py (acknowledged events
survive a restart of a durable broker).
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from testkit.events import make_events
from testkit.paced import produce_paced
from testkit.streaming import kafka_env, kafka_settings, read_all, wait_caught_up

from features.events import LearningEvent
from features.feature_repo.names import LEARNER_ACTIVITY_FEATURES
from features.lake import Lake
from features.streaming import REASON_HEADER, encode
from features.streaming.dlq import header
from learnloop.localstack import ManagedProcess, free_port
from learnloop.settings import KafkaSettings, Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
POISON = [b'{"learner_id": "l1", "verb": "jumped"}', b"\xff not json", b'{"event_id": 7}']
GROUPS = {"sink": "rel-sink", "features": "rel-features", "progress": "rel-progress"}


def _events(n: int) -> list[LearningEvent]:
    start = datetime(2026, 3, 2, 8, tzinfo=UTC)
    return [
        e.model_copy(update={"timestamp": start + timedelta(seconds=20 * i)})
        for i, e in enumerate(make_events(n, learners=25))
    ]


def _env(kafka: KafkaSettings, data_dir: Path, dataset_dir: Path) -> dict[str, str]:
    return {
        "PYTHONPATH": str(ROOT),
        "LEARNLOOP_DATA_DIR": str(data_dir),
        "LEARNLOOP_DATASET_DIR": str(dataset_dir),
        "LEARNLOOP_LOG_JSON": "false",
        "LEARNLOOP_LAKE__URI": str(data_dir / "lake"),
        **kafka_env(kafka),
        "LEARNLOOP_INGEST__SINK_GROUP": GROUPS["sink"],
        "LEARNLOOP_INGEST__FEATURES_GROUP": GROUPS["features"],
        "LEARNLOOP_PROGRESS__CONSUMER_GROUP": GROUPS["progress"],
        "LEARNLOOP_INGEST__BATCH_SIZE": "100",
        "LEARNLOOP_INGEST__FLUSH_INTERVAL_S": "0.2",
        "LEARNLOOP_CATALOG__IMPORT_CONTENT_ON_START": "false",
    }


def _process(name: str, env: dict[str, str], data_dir: Path) -> ManagedProcess:
    port = free_port()
    if name == "progress":
        argv = [sys.executable, "-m", "uvicorn", "services.progress.app:create_app", "--factory"]
        argv += ["--host", "127.0.0.1", "--port", str(port)]
    else:
        command = "sink" if name == "sink" else "features"
        argv = [sys.executable, "-m", "learnloop.cli", "ingest", command]
        argv += ["--metrics-port", str(port)]
    return ManagedProcess(
        name, argv, port=port, log_path=data_dir / f"{name}.log", env=env, cwd=ROOT,
        startup_timeout=120,
    ).start()  # fmt: skip


def _scalar(path: Path, query: str) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as db:
            row = db.execute(query).fetchone()
    except sqlite3.OperationalError:  # tables not created yet
        return 0
    return int(row[0] or 0) if row else 0


def _online_event_counts(data_dir: Path, learners: Iterable[str]) -> dict[str, int]:
    """``event_count`` per learner in the Feast online store under ``data_dir``."""
    from features.feature_repo.store import open_store

    online = (
        open_store(Settings(data_dir=data_dir))
        .get_online_features(
            features=[f"learner_activity_fv:{f}" for f in LEARNER_ACTIVITY_FEATURES],
            entity_rows=[{"learner_id": learner} for learner in sorted(learners)],
        )
        .to_dict()
    )
    return dict(zip(online["learner_id"], online["event_count"], strict=True))


def _produce(kafka: KafkaSettings, events: list[LearningEvent], acked: list[str]) -> None:
    """Send events (5 % resent by a retrying client) and the poison messages, slowly."""
    topic = kafka.learning_event_topic
    outgoing = [(str(e.event_id), encode(e, topic).value, e.learner_id) for e in events]
    outgoing += [(str(e.event_id), encode(e, topic).value, e.learner_id) for e in events[::20]]
    for i, value in enumerate(POISON):
        outgoing.insert(len(outgoing) * (i + 1) // 4, (f"poison-{i}", value, f"raw-{i}"))
    produce_paced(kafka, topic, outgoing, acked, pause_s=0.004)


def test_acknowledged_events_exactly_once_in_lake_features_and_progress(
    broker: ManagedProcess, dataset_dir: Path, tmp_path: Path
) -> None:
    kafka = kafka_settings(broker.port, partitions=2)
    env = _env(kafka, tmp_path, dataset_dir)
    lake = Lake.from_uri(str(tmp_path / "lake"))
    progress_db = tmp_path / "learnloop.db"
    features_state = tmp_path / "state" / f"{GROUPS['features']}.sqlite"
    done = {
        "sink": lambda: len(lake.files("events")),
        "features": lambda: _scalar(features_state, "SELECT sum(next_offset) FROM applied"),
        "progress": lambda: _scalar(progress_db, "SELECT count(*) FROM pts_processed_events"),
    }
    running = {name: _process(name, env, tmp_path) for name in GROUPS}
    events = _events(1500)
    acked: list[str] = []
    producer = threading.Thread(target=_produce, args=(kafka, events, acked))
    try:
        producer.start()
        progress_at_kill: dict[str, int] = {}
        deadline = time.monotonic() + 150
        while len(progress_at_kill) < len(GROUPS):  # SIGKILL each consumer mid-stream, restart
            assert time.monotonic() < deadline, f"not all consumers started: {progress_at_kill}"
            for name in sorted(set(GROUPS) - set(progress_at_kill)):
                if done[name]() > 0:
                    running[name].kill()
                    progress_at_kill[name] = done[name]()
                    running[name] = _process(name, env, tmp_path)
            time.sleep(0.05)
        producer.join(timeout=180)
        assert not producer.is_alive()

        topic = read_all(kafka, kafka.learning_event_topic, idle_s=6)
        wait_caught_up(kafka, GROUPS["sink"], kafka.learning_event_topic, len(topic), 120)
        wait_caught_up(kafka, GROUPS["progress"], kafka.learning_event_topic, len(topic), 120)
        updates = read_all(kafka, kafka.progress_update_topic, idle_s=6)
        features = GROUPS["features"]
        wait_caught_up(kafka, features, kafka.learning_event_topic, len(topic), 120)
        wait_caught_up(kafka, features, kafka.progress_update_topic, len(updates), 120)
        letters = read_all(kafka, kafka.learning_event_topic + kafka.dead_letter_suffix, idle_s=6)
    finally:
        for process in running.values():
            process.stop()

    by_id = {str(e.event_id): e for e in events}
    in_topic = {json.loads(m.value() or b"")["event_id"] for m in topic if m.value() not in POISON}
    stored = [by_id[i] for i in sorted(in_topic)]
    answers = [e for e in stored if e.correct is not None and e.skill_ids]
    assert len(acked) > len(events) // 2, "most events must have been acknowledged"
    assert {a for a in acked if not a.startswith("poison")} <= in_topic, "acked events lost"
    assert progress_at_kill["progress"] < len(answers), "the kill should land mid-stream"

    # lake: each event once
    ids = lake.read_events(columns=["event_id"]).column("event_id").to_pylist()
    assert len(ids) == len(set(ids)) and set(ids) == in_topic

    # progress: each answer applied once (attempts count every skill of every answer)
    assert _scalar(progress_db, "SELECT count(*) FROM pts_processed_events") == len(answers)
    attempts = sum(len(set(e.skill_ids)) for e in answers)
    assert _scalar(progress_db, "SELECT sum(attempts) FROM pts_mastery") == attempts
    causes = Counter(json.loads(m.value() or b"")["cause_event_id"] for m in updates)
    assert set(causes) == {str(e.event_id) for e in answers}

    # feature store (Feast online): per-learner event counts are the stored events'
    per_learner = Counter(e.learner_id for e in stored)
    assert _online_event_counts(tmp_path, per_learner) == per_learner

    # poison: in the dead-letter topic with the reason, once per consumer group that rejects it
    reasons: dict[bytes, set[str]] = {}
    for m in letters:
        reasons.setdefault(m.value() or b"", set()).add(header(m, "dlq.group") or "")
        assert header(m, REASON_HEADER)
    assert set(reasons) == set(POISON)
    assert all({GROUPS["sink"], GROUPS["progress"]} <= groups for groups in reasons.values())
