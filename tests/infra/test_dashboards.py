"""Grafana dashboards: generated from one script, structurally loadable, valid PromQL, and drawn
with the same thresholds the alerts use."""

from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

import yaml
from testkit.infra import DASHBOARDS, dashboard_expressions, dashboards, rule_groups, run

GENERATOR = DASHBOARDS.parent / "build_dashboards.py"
REQUIRED_DASHBOARDS = {
    "learnloop-service-overview",
    "learnloop-ml-models",
    "learnloop-kafka-pipeline",
}


def test_committed_json_is_what_the_generator_writes() -> None:
    result = run([sys.executable, GENERATOR, "--check"])
    assert result.returncode == 0, result.stderr


def test_dashboards_have_the_structure_grafana_loads() -> None:
    boards = dashboards()
    assert {b["uid"] for b in boards.values()} == REQUIRED_DASHBOARDS
    assert len({b["title"] for b in boards.values()}) == len(boards)
    for name, board in boards.items():
        assert isinstance(board["schemaVersion"], int) and board["schemaVersion"] >= 36, name
        variables = {v["name"]: v for v in board["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource"
        assert variables["datasource"]["query"] == "prometheus"
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)), name
        cells: set[tuple[int, int]] = set()
        for panel in board["panels"]:
            grid = panel["gridPos"]
            assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, (name, panel["title"])
            area = set(
                itertools.product(
                    range(grid["x"], grid["x"] + grid["w"]), range(grid["y"], grid["y"] + grid["h"])
                )
            )
            assert not cells & area, f"{name}: '{panel['title']}' overlaps another panel"
            cells |= area
            if panel["type"] == "text":
                continue
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            ref_ids = [t["refId"] for t in panel["targets"]]
            assert ref_ids and len(ref_ids) == len(set(ref_ids)), (name, panel["title"])
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == "${datasource}"
                assert target["expr"].strip()


def test_every_panel_query_is_valid_promql(promtool: Path, tmp_path: Path) -> None:
    """Prometheus's own parser (promtool) accepts every query, variables substituted."""
    rules = [
        {"record": f"dashboard:query_{i}:check", "expr": expr}
        for i, expr in enumerate(dashboard_expressions().values())
    ]
    assert len(rules) > 20
    path = tmp_path / "dashboard-queries.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    result = run([promtool, "check", "rules", path])
    assert result.returncode == 0, result.stdout + result.stderr


def _alert_threshold(name: str) -> float:
    for group in rule_groups():
        for rule in group["rules"]:
            if rule.get("alert") == name:
                return float(re.search(r"> ([0-9.]+)\b", rule["expr"]).group(1))
    raise KeyError(name)


def test_panels_draw_the_alert_thresholds() -> None:
    expected = {
        "learnloop:http_request_duration_seconds:p99_5m": _alert_threshold(
            "LearnloopEndpointLatencyP99High"
        ),
        "learnloop:http_error_ratio:rate5m": _alert_threshold("LearnloopErrorRateHigh"),
        "learnloop_kafka_consumer_lag": _alert_threshold("LearnloopConsumerLagHigh"),
        "learnloop:model_inference_seconds:p99_5m": _alert_threshold(
            "LearnloopModelInferenceP99High"
        ),
        "learnloop:feature_lookup_seconds:p99_5m": _alert_threshold(
            "LearnloopFeatureLookupP99High"
        ),
    }
    seen = set()
    for board in dashboards().values():
        for panel in board["panels"]:
            steps = panel.get("fieldConfig", {}).get("defaults", {}).get("thresholds", {})
            values = [s["value"] for s in steps.get("steps", []) if s["value"] is not None]
            exprs = " ".join(t["expr"] for t in panel.get("targets", []))
            for series, threshold in expected.items():
                if series in exprs and values:
                    assert values == [threshold], panel["title"]
                    seen.add(series)
    assert seen == set(expected)


def test_drift_panels_draw_the_monitor_thresholds() -> None:
    """The PSI / KS panels show the thresholds the drift monitor applies by default."""
    from learnloop.settings import DriftSettings

    defaults = DriftSettings()
    expected = {'test="psi"': defaults.psi_threshold, 'test="ks"': defaults.ks_threshold}
    drawn = {}
    for panel in dashboards()["ml-models.json"]["panels"]:
        exprs = " ".join(t["expr"] for t in panel.get("targets", []))
        for selector in expected:
            if f"learnloop_drift_score{{{selector}}}" in exprs:
                steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
                drawn[selector] = [s["value"] for s in steps if s["value"] is not None]
    assert drawn == {selector: [value] for selector, value in expected.items()}
