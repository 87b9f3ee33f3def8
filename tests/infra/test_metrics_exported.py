"""Every metric that an alert, a recording rule, a dashboard panel or an autoscaler reads is
exported by the code (or by a named standard exporter), with the labels the query uses.

The exported set is collected from the source: every prometheus_client Counter / Gauge /
Histogram / Summary / Info / Enum defined anywhere in the repo, expanded to the series names the
client exposes (``_total``, ``_bucket``/``_count``/``_sum``, ``_created``, ``_info``). A real
scrape of a service app checks that expansion, and promtool lints the exposition.
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from testkit.infra import (
    OBSERVABILITY,
    REPO,
    Tools,
    adapter_expressions,
    dashboard_expressions,
    promql_selectors,
    rule_expressions,
    run,
)

from learnloop.web import create_service_app

METRIC_CLASSES = {"Counter", "Gauge", "Histogram", "Summary", "Info", "Enum"}
# Labels Prometheus adds to every scraped series (target labels from the ServiceMonitor).
TARGET_LABELS = {"namespace", "pod", "job", "instance", "container", "endpoint", "service"}


@dataclass(frozen=True)
class Metric:
    """A metric family defined in the code."""

    name: str
    kind: str
    labels: frozenset[str]
    where: str

    def series(self) -> set[str]:
        """Series names the Python client exposes for this family."""
        if self.kind == "Counter":
            base = self.name.removesuffix("_total")
            return {f"{base}_total", f"{base}_created"}
        if self.kind in {"Histogram", "Summary"}:
            return {self.name + s for s in ("_bucket", "_count", "_sum", "_created")}
        if self.kind == "Info":
            return {f"{self.name}_info"}
        return {self.name}


def _literal(node: ast.AST | None) -> Any:
    try:
        return ast.literal_eval(node) if node is not None else None
    except ValueError:
        return None


def shipped_packages(root: Path = REPO) -> list[Path]:
    """The packages of the learnloop distribution (pyproject's wheel targets)."""
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    return [root / p for p in pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]]


def defined_metrics(root: Path = REPO) -> dict[str, Metric]:
    """Every metric family created with a literal name in the shipped packages' sources."""
    found: dict[str, Metric] = {}
    paths = sorted(p for package in shipped_packages(root) for p in package.rglob("*.py"))
    for path in paths:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            kind = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if kind not in METRIC_CLASSES:
                continue
            keywords = {k.arg: k.value for k in node.keywords}
            name = _literal(node.args[0] if node.args else keywords.get("name"))
            if not isinstance(name, str):
                continue
            prefix = [_literal(keywords.get(k)) for k in ("namespace", "subsystem")]
            full = "_".join([p for p in prefix if p] + [name])
            labels = _literal(node.args[2] if len(node.args) > 2 else keywords.get("labelnames"))
            where = f"{path.relative_to(root)}:{node.lineno}"
            found[full] = Metric(full, kind, frozenset(labels or ()), where)
    return found


@pytest.fixture(scope="module")
def metrics() -> dict[str, Metric]:
    found = defined_metrics()
    assert "learnloop_http_requests_total" in found, "the scanner must see learnloop/web/metrics.py"
    return found


@pytest.fixture(scope="module")
def exported(metrics: dict[str, Metric]) -> dict[str, Metric]:
    """Exposed series name -> the family it belongs to."""
    return {series: m for m in metrics.values() for series in m.series()}


@pytest.fixture(scope="module")
def references(tools: Tools) -> dict[str, dict[str, Any]]:
    """Every PromQL expression of rules, dashboards and the adapter, parsed."""
    expressions = {
        **{f"rules:{k}": v for k, v in rule_expressions().items()},
        **{f"dashboards:{k}": v for k, v in dashboard_expressions().items()},
        **{f"adapter:{k}": v for k, v in adapter_expressions().items()},
    }
    parsed = promql_selectors(tools, expressions)
    errors = {k: v["error"] for k, v in parsed.items() if v["error"]}
    assert not errors, errors
    return parsed


def external_metrics() -> dict[str, str]:
    """Allowlisted metric -> the standard exporter it comes from."""
    listed = yaml.safe_load((OBSERVABILITY / "external_metrics.yaml").read_text())
    return {name: exporter for exporter, names in listed.items() for name in names}


def recorded() -> set[str]:
    return {k.removeprefix("record:") for k in rule_expressions() if k.startswith("record:")}


def test_the_scanner_matches_a_real_scrape(
    exported: dict[str, Metric], promtool: Path, tmp_path: Path
) -> None:
    """Series a live service app exposes appear in the scanned set, and the exposition lints."""
    app = create_service_app(title="probe", service="probe", version="0")
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/nowhere").status_code == 404
        text = client.get("/metrics").text
    scraped = {
        sample.name
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("learnloop_")
    }
    assert {
        "learnloop_http_requests_total",
        "learnloop_http_request_duration_seconds_bucket",
    } <= scraped
    assert scraped <= set(exported), scraped - set(exported)
    exposition = tmp_path / "metrics.txt"
    exposition.write_text(text)
    lint = run([promtool, "check", "metrics"], input=text)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_the_scanner_sees_every_module_that_defines_metrics(
    metrics: dict[str, Metric],
) -> None:
    """A plain-text search finds no metric family the AST scan missed, in any shipped package
    (serving/ and pipelines/ included: their families feed the ML rules and dashboard)."""
    classes = "|".join(METRIC_CLASSES)
    pattern = re.compile(rf"\b(?:{classes})\(\s*\"(learnloop_\w+)\"")
    written = {
        name: path.relative_to(REPO).parts[0]
        for package in shipped_packages()
        for path in package.rglob("*.py")
        for name in pattern.findall(path.read_text())
    }
    assert {"learnloop", "features", "serving", "pipelines"} <= set(written.values())
    assert set(written) <= set(metrics), set(written) - set(metrics)


def test_every_referenced_metric_is_exported(
    references: dict[str, dict[str, Any]], exported: dict[str, Metric]
) -> None:
    external, rules = external_metrics(), recorded()
    missing = {}
    for where, parsed in references.items():
        for selector in parsed["selectors"]:
            name = selector["name"]
            if name.startswith("learnloop_"):
                ok = name in exported
            else:
                ok = name in rules or name in external
            if not ok:
                missing.setdefault(name, []).append(where)
    assert not missing, f"referenced but not exported: {missing}"


def test_queries_use_labels_the_code_sets(
    references: dict[str, dict[str, Any]], exported: dict[str, Metric]
) -> None:
    wrong = {}
    for where, parsed in references.items():
        for selector in parsed["selectors"]:
            family = exported.get(selector["name"])
            if family is None:
                continue
            allowed = family.labels | TARGET_LABELS | {"le"}
            unknown = set(selector["labels"]) - allowed
            if unknown:
                wrong[where] = (selector["name"], sorted(unknown), family.where)
    assert not wrong, wrong


def test_the_allowlist_of_external_metrics_is_tight(
    references: dict[str, dict[str, Any]],
) -> None:
    external = external_metrics()
    assert not [n for n in external if n.startswith("learnloop")], "ours must be exported"
    used = {s["name"] for parsed in references.values() for s in parsed["selectors"]}
    assert set(external) <= used, f"allowlisted but unused: {set(external) - used}"
    assert set(external.values()) <= {
        "kube-state-metrics",
        "cadvisor",
        "postgres-exporter",
        "prometheus",
    }


def test_recording_rules_follow_the_naming_convention() -> None:
    for name in recorded():
        level, metric, operation = name.split(":")
        assert level and metric and operation, name


def test_autoscaler_metrics_come_from_exported_series(exported: dict[str, Metric]) -> None:
    config = yaml.safe_load((OBSERVABILITY / "prometheus-adapter.yaml").read_text())
    served = {}
    for kind in ("custom", "external"):
        for rule in config["rules"][kind]:
            series = rule["seriesQuery"].split("{")[0]
            assert series in exported, series
            served[rule["name"]["as"]] = kind
    assert served == {
        "learnloop_http_requests_per_second": "custom",
        "learnloop_kafka_consumer_group_lag": "external",
    }
