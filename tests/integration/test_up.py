"""``learnloop up`` starts the platform on embedded defaults from a clean data dir."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from learnloop.localstack import free_port
from learnloop.localstack.process import port_open

pytestmark = pytest.mark.integration


def test_up_imports_data_and_serves_health_and_docs(tmp_path: Path, dataset_dir: Path) -> None:
    api_port, kafka_port = free_port(), free_port()
    res_port, lps_port, grpc_port = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "LEARNLOOP_DATA_DIR": str(tmp_path / "var"),
        "LEARNLOOP_DATASET_DIR": str(dataset_dir),
        "LEARNLOOP_API__PORT": str(api_port),
        "LEARNLOOP_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{kafka_port}",
        "LEARNLOOP_SERVING__RES_PORT": str(res_port),
        "LEARNLOOP_SERVING__LPS_PORT": str(lps_port),
        "LEARNLOOP_SERVING__GRPC_PORT": str(grpc_port),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "learnloop.cli", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while not port_open(api_port):
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "API did not start"
            time.sleep(0.3)
        assert port_open(kafka_port)
        base = f"http://127.0.0.1:{api_port}"
        assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
        assert httpx.get(f"{base}/docs").status_code == 200
        assert httpx.get(f"{base}/openapi.json").json()["info"]["title"] == "learnloop API"
        lake_events = tmp_path / "var" / "lake" / "events"
        assert any(lake_events.rglob("part-kt-assist2009_pid-*.parquet"))
        # the skill graph file the CLI shows is the one RES and LPS plan over
        assert (tmp_path / "var" / "graph" / "skills.json").is_file()
        # RES and LPS start last, serving the champion the first start trained
        deadline = time.monotonic() + 240
        while not _ready(lps_port) or not _ready(res_port):
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "RES / LPS did not become ready"
            time.sleep(0.5)
        # until the background training registers a champion RES serves the content-pack BKT;
        # then it hot-reloads the registry's champion without a restart
        while (kt := _served_kt(res_port)) != "learnloop-kt":
            assert kt == "content-pack-bkt", kt
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline + 300, "no champion was trained and served"
            time.sleep(2.0)
        assert port_open(grpc_port)
        time.sleep(1.0)  # the launcher prints its table once both are awaited
    finally:
        os.kill(proc.pid, signal.SIGTERM)  # only the launcher: it must stop its children
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert "learnloop is up" in output
    assert not port_open(api_port) and not port_open(kafka_port)
    assert not any(port_open(p) for p in (res_port, lps_port, grpc_port))


def _served_kt(port: int) -> str:
    return str(httpx.get(f"http://127.0.0.1:{port}/model").json()["champion"]["kt"]["name"])


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
