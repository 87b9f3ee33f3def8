"""Prometheus alerting/recording rules: promtool-checked, unit-tested, covering the risk signals."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from testkit.infra import OBSERVABILITY, RULES, rule_groups, run

TESTS = OBSERVABILITY / "prometheus" / "tests"

# The seed's risk signals and the alerts that watch them.
RISK_SIGNALS = {
    "endpoint p99 latency > 200 ms": {"LearnloopEndpointLatencyP99High"},
    "error rate > 0.1 %": {"LearnloopErrorRateHigh"},
    "DB connection growth": {
        "LearnloopDatabaseConnectionsGrowing",
        "LearnloopDatabaseConnectionsHigh",
    },
    "CPU growth": {"LearnloopCPUGrowth", "LearnloopCPUNearLimit"},
    "ingress/egress spikes": {"LearnloopIngressTrafficSpike", "LearnloopEgressTrafficSpike"},
    "repeated deployment failures": {
        "LearnloopRepeatedDeploymentFailures",
        "LearnloopDeploymentRolloutFailed",
    },
}


def alerts() -> dict[str, dict]:
    return {r["alert"]: r for g in rule_groups() for r in g["rules"] if "alert" in r}


def test_promtool_check_rules(promtool: Path) -> None:
    result = run([promtool, "check", "rules", *sorted(RULES.glob("*.yaml"))])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_pass(promtool: Path) -> None:
    files = sorted(TESTS.glob("*.test.yaml"))
    assert files
    result = run([promtool, "test", "rules", *files], cwd=TESTS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(files)


def test_every_alert_has_a_firing_unit_test() -> None:
    fired, mentioned = set(), set()
    for path in TESTS.glob("*.test.yaml"):
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                mentioned.add(check["alertname"])
                if check.get("exp_alerts"):
                    fired.add(check["alertname"])
    assert set(alerts()) == fired, f"alerts never shown to fire: {set(alerts()) - fired}"
    assert mentioned <= set(alerts()), f"tests of unknown alerts: {mentioned - set(alerts())}"


def test_seed_risk_signals_are_covered_with_their_thresholds() -> None:
    defined = alerts()
    for signal, names in RISK_SIGNALS.items():
        assert names <= set(defined), signal
    latency = defined["LearnloopEndpointLatencyP99High"]["expr"]
    assert re.search(r"p99_5m > 0\.2\b", latency), "200 ms"
    errors = defined["LearnloopErrorRateHigh"]["expr"]
    assert re.search(r"error_ratio:rate5m > 0\.001\b", errors), "0.1 %"


def test_alerts_are_routable_and_explained() -> None:
    for name, rule in alerts().items():
        assert rule["labels"]["severity"] in {"warning", "critical"}, name
        assert rule["labels"]["team"], name
        assert {"summary", "description"} <= set(rule["annotations"]), name
        assert name.startswith("Learnloop"), name
