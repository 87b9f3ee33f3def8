"""PostgreSQL restarted under load, against a real gateway process (uvicorn) on its own server.

Eight clients read the catalog in a loop while the server is shut down (fast shutdown, in-flight
sessions terminated) and started again on the same port. Every answer is a 200 or a fast
``503 database-unavailable`` problem with ``Retry-After`` (never a 500 or a hang), the same
gateway process serves 200s again once the database is back, and the process never holds more
server connections than its pool allows (``pool_size + max_overflow``).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
from testkit.pg import create_database

from learnloop.localstack import ManagedProcess, free_port, start_postgres

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
POOL_SIZE, MAX_OVERFLOW, RETRY_AFTER = 2, 1, 3
CLIENTS = 8


@dataclass(frozen=True)
class Answer:
    at: float
    status: int
    seconds: float
    retry_after: str | None
    problem_type: str | None


@pytest.fixture
def own_postgres() -> Iterator[tuple[Path, ManagedProcess]]:
    """A PostgreSQL server for this test alone (it gets restarted)."""
    workdir = Path(tempfile.mkdtemp(prefix="learnloop-pg-restart-"))
    server = start_postgres(workdir)
    try:
        yield workdir, server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _gateway(database_url: str, broker: ManagedProcess, data_dir: Path) -> ManagedProcess:
    port = free_port()
    suffix = uuid.uuid4().hex[:8]
    env = {
        "PYTHONPATH": str(ROOT),
        "LEARNLOOP_DATA_DIR": str(data_dir),
        "LEARNLOOP_DATABASE_URL": database_url,
        "LEARNLOOP_DB__POOL_SIZE": str(POOL_SIZE),
        "LEARNLOOP_DB__MAX_OVERFLOW": str(MAX_OVERFLOW),
        "LEARNLOOP_DB__POOL_TIMEOUT_S": "5",
        "LEARNLOOP_DB__CONNECT_TIMEOUT_S": "2",
        "LEARNLOOP_DB__RETRY_AFTER_S": str(RETRY_AFTER),
        "LEARNLOOP_CATALOG__IMPORT_CONTENT_ON_START": "false",
        "LEARNLOOP_RATE_LIMIT__ENABLED": "false",
        "LEARNLOOP_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{broker.port}",
        "LEARNLOOP_KAFKA__LEARNING_EVENT_TOPIC": f"LearningEventStream-pg-{suffix}",
        "LEARNLOOP_KAFKA__PROGRESS_UPDATE_TOPIC": f"ProgressUpdateEvent-pg-{suffix}",
        "LEARNLOOP_LOG_JSON": "false",
    }
    argv = [sys.executable, "-m", "uvicorn", "services.gateway.app:create_app", "--factory"]
    argv += ["--host", "127.0.0.1", "--port", str(port)]
    return ManagedProcess(
        "gateway", argv, port=port, log_path=data_dir / "gateway.log", env=env, cwd=ROOT,
        startup_timeout=180,
    )  # fmt: skip


def _server_connections(port: int, database: str) -> int:
    with psycopg.connect(
        host="127.0.0.1", port=port, user="learnloop", dbname="postgres", autocommit=True
    ) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)
        ).fetchone()
    return int(row[0]) if row else 0


def _load(url: str, stop: threading.Event, answers: list[Answer]) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        while not stop.is_set():
            started = time.monotonic()
            try:
                response = client.get("/catalog/courses", params={"limit": 5})
            except httpx.HTTPError as error:
                answers.append(Answer(started, -1, time.monotonic() - started, None, repr(error)))
                continue
            problem = (
                response.json().get("type")
                if response.headers.get("content-type", "").startswith("application/problem")
                else None
            )
            answers.append(
                Answer(
                    started,
                    response.status_code,
                    time.monotonic() - started,
                    response.headers.get("retry-after"),
                    problem,
                )
            )
            if response.status_code == 503:
                time.sleep(0.05)


def test_restart_under_load_answers_503_fast_and_recovers_within_the_pool_bound(
    own_postgres: tuple[Path, ManagedProcess], broker: ManagedProcess, tmp_path: Path
) -> None:
    workdir, server = own_postgres
    database_url = create_database(server.port, "restart")
    database = database_url.rsplit("/", 1)[1]
    gateway = _gateway(database_url, broker, tmp_path)
    answers: list[Answer] = []
    stop = threading.Event()
    with gateway:
        url = f"http://127.0.0.1:{gateway.port}"
        deadline = time.monotonic() + 120
        while httpx.get(f"{url}/readyz", timeout=10).status_code != 200:
            assert time.monotonic() < deadline and gateway.running, gateway.log_tail()
            time.sleep(0.3)
        pid = gateway.proc.pid if gateway.proc else None
        threads = [
            threading.Thread(target=_load, args=(url, stop, answers)) for _ in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        peak = 0
        warm_until = time.monotonic() + 3
        while time.monotonic() < warm_until:
            peak = max(peak, _server_connections(server.port, database))
            time.sleep(0.05)
        down_at = time.monotonic()
        assert server.proc is not None
        os.kill(server.proc.pid, signal.SIGINT)  # fast shutdown: sessions terminated
        server.proc.wait(timeout=30)
        gone_at = time.monotonic()  # a loaded host can take a while to terminate sessions
        time.sleep(3)
        restart_at = time.monotonic()
        restarted = start_postgres(workdir, port=server.port)
        server.proc = restarted.proc
        up_at = time.monotonic()
        time.sleep(4)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        assert gateway.running and gateway.proc is not None and gateway.proc.pid == pid

    before = [a for a in answers if a.at + a.seconds < down_at]
    during = [a for a in answers if gone_at + 0.5 < a.at < restart_at]
    after = [a for a in answers if a.at > up_at + 2]
    odd = [a for a in answers if a.status not in (200, 503)]
    assert not odd, f"unexpected answers {odd[:3]}"
    assert before and all(a.status == 200 for a in before)
    assert 0 < peak <= POOL_SIZE + MAX_OVERFLOW, f"{peak} server connections for one process"
    unavailable = [a for a in answers if a.status == 503]
    assert during and all(a.status == 503 for a in during), "requests while the server is down"
    assert all(a.retry_after == str(RETRY_AFTER) for a in unavailable)
    assert all((a.problem_type or "").endswith("/database-unavailable") for a in unavailable)
    assert max(a.seconds for a in during) < 2.5, "a request hung while the database was down"
    assert after and all(a.status == 200 for a in after), "no recovery without a restart"
