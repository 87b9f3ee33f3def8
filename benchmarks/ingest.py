"""End-to-end ingestion benchmark: producer → broker → lake sink + feature consumer.

Starts a real tansu broker, runs `learnloop ingest sink` and `learnloop ingest features` as
separate processes (as in production), waits until both have warmed up, then produces N
LearningEvents (1 % of them sent twice, as a retrying client would) as fast as the idempotent
producer allows, and measures the time until both consumer groups have committed everything.
Then it checks the lake (lost / duplicate event ids) and the online store (every learner's
event_count equals the number of distinct events produced for it) and measures Feast online
lookups of one learner's feature vector.

    .venv/bin/python benchmarks/ingest.py            # 1,200,000 events (~1 minute at target)
    .venv/bin/python benchmarks/ingest.py --quick    # 100,000 events
    .venv/bin/python benchmarks/ingest.py --online redis   # Redis online store (redis-server)

Writes benchmarks/results/ingest.json and ingest.md and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.outputs import results_dir  # noqa: E402
from learnloop.localstack import ManagedProcess, free_port, start_broker, start_redis  # noqa: E402
from learnloop.settings import Settings  # noqa: E402

TARGET_EVENTS_PER_S = 20_000
TARGET_LOOKUP_P99_MS = 2.0
VERBS = ("answered", "answered", "answered", "attempted", "viewed", "hint_requested")


def make_payloads(
    n: int, learners: int, items: int, seed: int = 7
) -> tuple[list[tuple[bytes, bytes]], Counter[str]]:
    """``n`` valid LearningEvent JSON payloads keyed by learner, and events per learner."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 2, tzinfo=UTC)
    out = []
    per_learner: Counter[str] = Counter()
    for i in range(n):
        learner = f"learner-{rng.randrange(learners)}"
        ts = start + timedelta(seconds=i * 0.4)  # ~5 days of activity over the run
        verb = VERBS[i % len(VERBS)]
        result = (
            f',"result":{{"correct":{"true" if rng.random() < 0.6 else "false"},'
            f'"duration_s":{rng.randrange(5, 300)}}}'
            if verb == "answered"
            else ""
        )
        payload = (
            f'{{"event_id":"{uuid.UUID(int=rng.getrandbits(128), version=4)}",'
            f'"learner_id":"{learner}","timestamp":"{ts.isoformat()}","verb":"{verb}",'
            f'"object":{{"id":"item-{rng.randrange(items)}","type":"problem"}},'
            f'"skill_ids":["skill-{rng.randrange(100)}"]{result},'
            f'"context":{{"session_id":"s{i // 50}","platform":"web","source":"bench"}}}}'
        )
        out.append((learner.encode(), payload.encode()))
        per_learner[learner] += 1
    return out, per_learner


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds of a process (``None``: this one)."""
    if pid is None:
        times = os.times()
        return times.user + times.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(processes: dict[str, ManagedProcess]) -> dict[str, float]:
    """CPU seconds so far of the benchmark process and each server / consumer."""
    out = {"producer": cpu_seconds()}
    for name, process in processes.items():
        assert process.proc is not None
        out[name] = cpu_seconds(process.proc.pid)
    return out


def committed_total(kafka: object, group: str, topic: str) -> tuple[int, int]:
    """(committed offsets summed over partitions, end offsets summed) for ``group``.

    tansu 0.6 answers ListOffsets(latest) with a stale value: only the committed sum is used.
    """
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({**kafka.client_config(), "group.id": group})  # type: ignore[attr-defined]
    try:
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        parts = [TopicPartition(topic, p) for p in meta.partitions]
        committed = consumer.committed(parts, timeout=10)
        done = sum(max(0, tp.offset) for tp in committed)
        end = sum(consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in parts)
        return done, end
    finally:
        consumer.close()


def wait_committed(
    kafka: object, groups: list[str], topic: str, target: int, timeout: float
) -> float:
    """Block until every group committed ``target`` offsets; returns the time it happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(committed_total(kafka, g, topic)[0] >= target for g in groups):
            return time.perf_counter()
        time.sleep(0.5)
    states = {g: committed_total(kafka, g, topic) for g in groups}
    raise TimeoutError(f"consumers did not catch up: {states}")


def produce(kafka: object, topic: str, payloads: list[tuple[bytes, bytes]]) -> dict[str, int]:
    """Produce every payload with the idempotent producer; count delivery reports."""
    from features.streaming import EventProducer

    counts = {"ok": 0, "failed": 0}

    def count(error: object) -> None:
        counts["failed" if error else "ok"] += 1

    with EventProducer(
        kafka,
        delivery_timeout_s=120,
        linger_ms=20,
        client_id="bench",  # type: ignore[arg-type]
        config={"batch.num.messages": 10000},
    ) as producer:
        for key, value in payloads:
            producer.produce_nowait(topic, value, key=key, counter=count)
        producer.flush(120)
    return counts


def run(args: argparse.Namespace) -> dict[str, object]:
    n = 100_000 if args.quick else args.events
    work = Path(tempfile.mkdtemp(prefix="learnloop-bench-ingest-"))
    processes: list[ManagedProcess] = []
    try:
        broker = start_broker(work)
        processes.append(broker)
        env = {
            "LEARNLOOP_DATA_DIR": str(work / "data"),
            "LEARNLOOP_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{broker.port}",
            "LEARNLOOP_KAFKA__SESSION_TIMEOUT_MS": "6000",
            "LEARNLOOP_KAFKA__HEARTBEAT_INTERVAL_MS": "1000",
            "LEARNLOOP_INGEST__BATCH_SIZE": str(args.batch_size),
            "LEARNLOOP_INGEST__FLUSH_INTERVAL_S": str(args.flush_interval),
            "LEARNLOOP_LOG_LEVEL": "WARNING",
        }
        if args.online == "redis":
            redis = start_redis(work)
            processes.append(redis)
            env["LEARNLOOP_FEATURES__ONLINE_STORE"] = "redis"
            env["LEARNLOOP_FEATURES__REDIS_URL"] = f"127.0.0.1:{redis.port}"
        os.environ.update(env)
        settings = Settings()
        kafka = settings.kafka
        from features.streaming import ensure_topics

        ensure_topics(kafka)
        topic = kafka.learning_event_topic
        cli = [sys.executable, "-m", "learnloop.cli", "ingest"]
        for name, extra in (("sink", ["sink"]), ("features", ["features"])):
            port = free_port()
            processes.append(
                ManagedProcess(
                    name,
                    [*cli, *extra, "--metrics-port", str(port)],
                    port=port,
                    log_path=work / f"{name}.log",
                    env=env,
                    cwd=ROOT,
                    startup_timeout=120,
                ).start()
            )
        print(f"generating {n:,} events ...", flush=True)
        warm, warm_counts = make_payloads(2_000, args.learners, args.items, seed=1)
        payloads, per_learner = make_payloads(n, args.learners, args.items)
        resend = payloads[::100]  # 1 %: a client retrying after a lost response
        groups = [settings.ingest.sink_group, settings.ingest.features_group]
        print("warming up (consumers join, Feast loads) ...", flush=True)
        produce(kafka, topic, warm)
        wait_committed(kafka, groups, topic, len(warm), timeout=300)
        print(f"producing {n + len(resend):,} messages ...", flush=True)
        watched = {"broker": broker, "sink": processes[-2], "features": processes[-1]}
        load_before = os.getloadavg()[0]
        cpu_before = cpu_snapshot(watched)
        started = time.perf_counter()
        counts = produce(kafka, topic, payloads + resend)
        produced_at = time.perf_counter()
        done_at = wait_committed(kafka, groups, topic, len(warm) + n + len(resend), timeout=900)
        elapsed = done_at - started
        cpu_after = cpu_snapshot(watched)
        cpu_us = {k: round((cpu_after[k] - cpu_before[k]) / n * 1e6, 1) for k in cpu_after}
        args.cpu_us_per_event = cpu_us
        args.load = (round(load_before, 1), round(os.getloadavg()[0], 1))
        return verify(
            settings,
            n,
            per_learner + warm_counts,
            payloads,
            counts,
            elapsed,
            produced_at - started,
            args,
        )
    finally:
        for process in reversed(processes):
            process.stop()
        shutil.rmtree(work, ignore_errors=True)


def verify(
    settings: Settings,
    n: int,
    expected_counts: Counter[str],
    payloads: list[tuple[bytes, bytes]],
    counts: dict[str, int],
    elapsed: float,
    produce_s: float,
    args: argparse.Namespace,
) -> dict[str, object]:
    import pyarrow.compute as pc

    from features.feature_repo.store import open_store
    from features.streaming import tune_gc
    from learnloop.resources import lake_from_settings

    lake = lake_from_settings(settings)
    table = lake.read_events(columns=["event_id", "source"])
    ids = table.filter(pc.equal(table.column("source"), "bench")).column("event_id")
    expected = {json.loads(v)["event_id"] for _, v in payloads}
    found = set(ids.to_pylist())
    lost = len(expected - found)
    duplicates = len(ids) - len(found)
    store = open_store(settings)
    refs = [
        f"learner_activity_fv:{f}"
        for f in (
            "event_count",
            "attempt_count",
            "accuracy",
            "attempt_count_7d",
            "accuracy_7d",
            "last_event_unix",
        )
    ]
    learners = sorted(expected_counts)
    online = store.get_online_features(
        features=refs, entity_rows=[{"learner_id": lid} for lid in learners]
    ).to_dict()
    online_counts = dict(zip(online["learner_id"], online["event_count"], strict=True))
    online_lost = sum(
        max(0, expected_counts[lid] - (online_counts.get(lid) or 0)) for lid in learners
    )
    online_dups = sum(
        max(0, (online_counts.get(lid) or 0) - expected_counts[lid]) for lid in learners
    )
    tune_gc()
    rng = random.Random(3)
    latencies = []
    for i in range(args.lookups + 200):
        lid = learners[rng.randrange(len(learners))]
        t0 = time.perf_counter()
        store.get_online_features(features=refs, entity_rows=[{"learner_id": lid}])
        if i >= 200:  # warm-up calls excluded
            latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    p = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 3)  # noqa: E731
    events_per_s = n / elapsed
    return {
        "events": n,
        "messages_produced": counts["ok"],
        "delivery_failures": counts["failed"],
        "resent_duplicates": counts["ok"] - n,
        "produce_s": round(produce_s, 2),
        "end_to_end_s": round(elapsed, 2),
        "events_per_s": round(events_per_s),
        "lost": lost,
        "duplicates": duplicates,
        "online_lost": online_lost,
        "online_duplicates": online_dups,
        "online_lookup_p50_ms": p(0.50),
        "online_lookup_p99_ms": p(0.99),
        "online_store": args.online,
        "cpu_us_per_event": args.cpu_us_per_event,
        "cpu_us_per_event_total": round(sum(args.cpu_us_per_event.values()), 1),
        "events_per_s_if_2_cores_free": round(2e6 / sum(args.cpu_us_per_event.values())),
        "load_average_1m_before_after": args.load,
        "learners": len(learners),
        "batch_size": args.batch_size,
        "flush_interval_s": args.flush_interval,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "quick": args.quick,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "targets": {
            "events_per_s": TARGET_EVENTS_PER_S,
            "online_lookup_p99_ms": TARGET_LOOKUP_P99_MS,
        },
    }


def table(r: dict[str, object]) -> str:
    ok = lambda good: "yes" if good else "**no**"  # noqa: E731
    rows = [
        (
            "end-to-end events/s (producer → lake + online)",
            f"{r['events_per_s']:,}",
            f">= {TARGET_EVENTS_PER_S:,}",
            ok(r["events_per_s"] >= TARGET_EVENTS_PER_S),
        ),  # type: ignore[operator]
        ("events / messages (1 % resent)", f"{r['events']:,} / {r['messages_produced']:,}", "", ""),
        (
            "lake: lost / duplicates",
            f"{r['lost']} / {r['duplicates']}",
            "0 / 0",
            ok(r["lost"] == 0 and r["duplicates"] == 0),
        ),
        (
            "online store: lost / double-counted",
            f"{r['online_lost']} / {r['online_duplicates']}",
            "0 / 0",
            ok(r["online_lost"] == 0 and r["online_duplicates"] == 0),
        ),
        (
            f"Feast online lookup p50 / p99 ms ({r['online_store']})",
            f"{r['online_lookup_p50_ms']} / {r['online_lookup_p99_ms']}",
            f"p99 <= {TARGET_LOOKUP_P99_MS}",
            ok(r["online_lookup_p99_ms"] <= TARGET_LOOKUP_P99_MS),
        ),  # type: ignore[operator]
        ("produce time / end-to-end time s", f"{r['produce_s']} / {r['end_to_end_s']}", "", ""),
        (
            "CPU µs per event: " + ", ".join(f"{k} {v}" for k, v in r["cpu_us_per_event"].items()),  # type: ignore[attr-defined]
            f"{r['cpu_us_per_event_total']} total",
            "",
            "",
        ),
        (
            "events/s the measured CPU cost allows on 2 free cores",
            f"{r['events_per_s_if_2_cores_free']:,}",
            "(derived)",
            "",
        ),
        (
            "machine load average (1 min) before / after",
            str(r["load_average_1m_before_after"]),
            "",
            "",
        ),
    ]
    lines = ["| metric | value | target | met |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 events")
    parser.add_argument("--events", type=int, default=1_200_000)
    parser.add_argument("--learners", type=int, default=2_000)
    parser.add_argument("--items", type=int, default=5_000)
    parser.add_argument("--batch-size", type=int, default=20_000)
    parser.add_argument("--flush-interval", type=float, default=1.0)
    parser.add_argument("--lookups", type=int, default=2_000)
    parser.add_argument("--online", choices=("sqlite", "redis"), default="sqlite")
    args = parser.parse_args()
    result = run(args)
    out = results_dir(args.quick)
    suffix = "" if args.online == "sqlite" else f"_{args.online}"
    (out / f"ingest{suffix}.json").write_text(json.dumps(result, indent=2) + "\n")
    text = table(result)
    (out / f"ingest{suffix}.md").write_text(
        f"# Ingestion benchmark ({'quick' if args.quick else 'full'}, {result['cpus']} CPUs)\n\n"
        f"{text}\n\nRerun: `.venv/bin/python benchmarks/ingest.py"
        f"{' --quick' if args.quick else ''}"
        f"{' --online redis' if args.online == 'redis' else ''}`\n"
    )
    print(text)


if __name__ == "__main__":
    main()
