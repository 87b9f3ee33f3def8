"""Fluent Bit and OpenTelemetry Collector configs, checked against each other, the chart, and the
log lines learnloop really writes.

Neither fluent-bit nor otelcol is available from PyPI, Debian or npm here, so their own
``--dry-run`` / ``validate`` cannot run; these tests check the wiring those would (every
pipeline component defined and used, inputs routed to outputs) plus what this platform needs.
"""

from __future__ import annotations

import fnmatch
import io
import json
import logging
import re
from typing import Any
from urllib.parse import urlparse

import yaml
from fastapi.testclient import TestClient
from testkit.infra import OBSERVABILITY, rule_groups

from learnloop.log import JsonFormatter, PiiMaskingFilter
from learnloop.web import create_service_app


def fluent_bit() -> dict[str, Any]:
    return yaml.safe_load((OBSERVABILITY / "fluent-bit.yaml").read_text())


def otel() -> dict[str, Any]:
    return yaml.safe_load((OBSERVABILITY / "otel-collector.yaml").read_text())


def test_fluent_bit_tails_only_learnloop_containers() -> None:
    (tail,) = fluent_bit()["pipeline"]["inputs"]
    assert tail["name"] == "tail"
    pattern = tail["path"]
    # kubelet log file names: <pod>_<namespace>_<container>-<container id>.log
    assert fnmatch.fnmatch(
        "/var/log/containers/learnloop-gateway-7d9f-abcde_learnloop_gateway-0a1b2c.log", pattern
    )
    assert not fnmatch.fnmatch(
        "/var/log/containers/coredns-5d78-xyz_kube-system_coredns-0a1b2c.log", pattern
    )
    assert "cri" in tail["multiline.parser"]


def test_fluent_bit_routes_every_input_to_elasticsearch_over_verified_tls() -> None:
    config = fluent_bit()["pipeline"]
    tags = [i["tag"] for i in config["inputs"]]
    outputs = config["outputs"]
    for tag in tags:
        sample = tag.replace("*", "var.log.containers.x.log")
        assert any(fnmatch.fnmatch(sample, o["match"]) for o in outputs), tag
    (es,) = [o for o in outputs if o["name"] == "es"]
    assert es["tls"] is True and es["tls.verify"] is True
    for key in ("host", "http_user", "http_passwd"):
        assert re.fullmatch(r"\$\{[A-Z_]+\}", es[key]), f"{key} must come from the environment"
    (kubernetes,) = [f for f in config["filters"] if f["name"] == "kubernetes"]
    assert kubernetes["merge_log"] is True and "merge_log_key" not in kubernetes


def _log_lines(paths: list[str]) -> list[dict[str, Any]]:
    """JSON lines the access logger writes for real requests (what merge_log parses)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PiiMaskingFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("learnloop.access")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with TestClient(create_service_app(title="t", service="t", version="0")) as client:
            for path in paths:
                client.get(path, headers={"x-request-id": "req-123"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_fluent_bit_drops_probe_access_lines_and_keeps_the_rest() -> None:
    (grep,) = [f for f in fluent_bit()["pipeline"]["filters"] if f["name"] == "grep"]
    key, regex = grep["exclude"].split(" ", 1)
    lines = _log_lines(["/healthz", "/readyz", "/metrics", "/courses/healthz", "/nowhere"])
    assert len(lines) == 5
    for line in lines:
        assert {"ts", "level", "logger", "msg", "request_id", "trace_id"} <= set(line)
    dropped = [line["msg"] for line in lines if re.search(regex, line[key])]
    kept = [line["msg"] for line in lines if not re.search(regex, line[key])]
    assert [m.split()[1] for m in dropped] == ["/healthz", "/readyz", "/metrics"]
    assert [m.split()[1] for m in kept] == ["/courses/healthz", "/nowhere"]


def test_otel_pipelines_use_only_defined_components_and_use_them_all() -> None:
    config = otel()
    used: dict[str, set[str]] = {"receivers": set(), "processors": set(), "exporters": set()}
    for name, pipeline in config["service"]["pipelines"].items():
        for section, seen in used.items():
            for component in pipeline.get(section, []):
                assert component in config[section], f"{name}: {component} is not defined"
                seen.add(component)
        processors = pipeline["processors"]
        assert processors[0] == "memory_limiter" and processors[-1] == "batch", name
    for section, names in used.items():
        assert set(config[section]) == names, f"{section} defined but unused"
    assert set(config["service"]["extensions"]) == set(config["extensions"])


def test_otel_receives_what_the_chart_sends_and_exports_over_tls(values: dict[str, Any]) -> None:
    config = otel()
    endpoint = urlparse(values["otel"]["endpoint"])
    grpc = config["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
    assert grpc.rsplit(":", 1)[1] == str(endpoint.port)
    assert values["networkPolicy"]["otelCollector"]["port"] == endpoint.port
    assert endpoint.hostname.endswith(
        f".{values['networkPolicy']['otelCollector']['namespace']}.svc"
    )
    (exporter,) = config["service"]["pipelines"]["traces"]["exporters"]
    assert exporter.startswith("otlp")
    assert config["exporters"][exporter]["tls"]["insecure"] is False


def test_otel_strips_personal_data_and_keeps_slow_and_failed_traces() -> None:
    config = otel()
    scrub = {a["key"]: a["action"] for a in config["processors"]["attributes/scrub-pii"]["actions"]}
    assert scrub["http.request.header.authorization"] == "delete"
    assert scrub["user.email"] == "delete"
    policies = {p["type"]: p for p in config["processors"]["tail_sampling"]["policies"]}
    assert policies["status_code"]["status_code"]["status_codes"] == ["ERROR"]
    latency_alert = next(
        r
        for g in rule_groups()
        for r in g["rules"]
        if r.get("alert") == "LearnloopEndpointLatencyP99High"
    )
    seconds = float(re.search(r"> ([0-9.]+)", latency_alert["expr"]).group(1))
    assert policies["latency"]["latency"]["threshold_ms"] == seconds * 1000
