"""The real servers the platform runs on start from our launchers and answer."""

from __future__ import annotations

import socket

import psycopg
import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from learnloop.localstack import ManagedProcess

pytestmark = pytest.mark.integration


def test_postgres_answers_sql(postgres_server: ManagedProcess) -> None:
    with psycopg.connect(
        host="127.0.0.1", port=postgres_server.port, user="learnloop", dbname="postgres"
    ) as conn:
        assert conn.execute("select 1 + 1").fetchone() == (2,)


def test_redis_answers_ping(redis_server: ManagedProcess) -> None:
    with socket.create_connection(("127.0.0.1", redis_server.port), timeout=5) as sock:
        sock.sendall(b"PING\r\n")
        assert sock.recv(16) == b"+PONG\r\n"


def test_broker_round_trips_keyed_messages(broker: ManagedProcess) -> None:
    bootstrap = f"127.0.0.1:{broker.port}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic("smoke", num_partitions=2, replication_factor=1)])[
        "smoke"
    ].result(10)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for i in range(20):
        producer.produce("smoke", key=f"learner-{i % 3}", value=f"m{i}")
    assert producer.flush(10) == 0
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "smoke-test",
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 1000,
        }
    )
    consumer.subscribe(["smoke"])
    seen: set[str] = set()
    try:
        for _ in range(200):
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                seen.add(message.value().decode())
            if len(seen) == 20:
                break
    finally:
        consumer.close()
    assert seen == {f"m{i}" for i in range(20)}


def test_killed_process_is_reported_not_running(servers_dir) -> None:  # type: ignore[no-untyped-def]
    from learnloop.localstack import start_redis

    process = start_redis(servers_dir / "kill")
    process.kill()
    assert not process.running
