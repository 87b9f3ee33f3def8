"""The drift CronJob's metrics leave the pod: textfile always, Pushgateway push when configured.

A tiny HTTP server stands in for the Pushgateway: it answers ``GET /metrics`` with what the
gateway holds and records every ``PUT /metrics/job/<job>`` body.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from learnloop.settings import DriftSettings, Settings
from pipelines.drift.metrics import GATE, export_drift_metrics, publish
from pipelines.drift.monitor import DriftResult, FeatureDrift

# What the gateway holds before this process pushes: an earlier run's gate rejections for
# our job, and a series of another job that must not leak into ours.
HELD = """# TYPE learnloop_registry_gate_total counter
learnloop_registry_gate_total{job="learnloop-drift",model="push-kt",outcome="rejected"} 3
learnloop_registry_gate_total{job="another-job",model="push-kt",outcome="passed"} 7
# TYPE push_time_seconds gauge
push_time_seconds{instance="",job="learnloop-drift"} 1.7e+09
"""


class Gateway(ThreadingHTTPServer):
    """Records pushes; serves ``HELD`` as its exposition."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.pushes: list[tuple[str, str, str]] = []  # (method, path, body)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Gateway

    def do_GET(self) -> None:
        body = HELD.encode() if self.path == "/metrics" else b""
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self) -> None:
        length = int(self.headers["Content-Length"])
        self.server.pushes.append(("PUT", self.path, self.rfile.read(length).decode()))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = Gateway()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _values(body: str, name: str, model: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted((k, v) for k, v in s.labels.items() if k != "model")): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
        if s.name == name and s.labels.get("model") == model
    }


def _settings(tmp_path: Path, url: str | None) -> Settings:
    return Settings(data_dir=tmp_path, drift=DriftSettings(pushgateway_url=url))


def test_a_drift_check_pushes_its_gauges_and_counters_keep_counting(
    gateway: Gateway, tmp_path: Path
) -> None:
    drifted = FeatureDrift("gap", psi=0.31, ks=0.2, ks_pvalue=0.001, breached=True)
    result = DriftResult("push-kt", "7", "drift", features=[drifted])
    GATE.labels("push-kt", "rejected").inc()  # this run's gate outcome
    export_drift_metrics(result, _settings(tmp_path, gateway.url))

    (method, path, body) = gateway.pushes[-1]
    assert (method, path) == ("PUT", "/metrics/job/learnloop-drift")
    assert _values(body, "learnloop_drift_detected", "push-kt") == {(): 1.0}
    assert _values(body, "learnloop_drift_score", "push-kt") == {
        (("feature", "gap"), ("test", "psi")): 0.31,
        (("feature", "gap"), ("test", "ks")): 0.2,
    }
    assert _values(body, "learnloop_drift_last_run_timestamp_seconds", "push-kt")
    # 3 rejections held by the gateway + this run's; the other job's series stays out.
    gate = _values(body, "learnloop_registry_gate_total", "push-kt")
    assert gate == {(("outcome", "rejected"),): 4.0}
    assert (tmp_path / "metrics" / "drift.prom").read_text().count("learnloop_drift_detected{")

    GATE.labels("push-kt", "rejected").inc()  # a second push of the same process
    publish(_settings(tmp_path, gateway.url))
    gate = _values(gateway.pushes[-1][2], "learnloop_registry_gate_total", "push-kt")
    assert gate == {(("outcome", "rejected"),): 5.0}, "the held totals are added once"
    assert len(gateway.pushes) == 2


def test_without_a_url_nothing_is_pushed(gateway: Gateway, tmp_path: Path) -> None:
    publish(_settings(tmp_path, None))
    assert gateway.pushes == []
    assert (tmp_path / "metrics" / "drift.prom").is_file()


def test_an_unreachable_gateway_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    with caplog.at_level(logging.WARNING, logger="pipelines.drift.metrics"):
        publish(_settings(tmp_path, f"127.0.0.1:{port}"))
    assert f"not pushed to http://127.0.0.1:{port}" in caplog.text
    assert (tmp_path / "metrics" / "drift.prom").is_file()


def test_a_url_of_another_scheme_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="file:///etc/passwd"):
        publish(_settings(tmp_path, "file:///etc/passwd"))
