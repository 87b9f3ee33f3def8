"""Helpers of the infra tests (tests/infra): paths, tool locations, chart rendering.

The tools are installed by ``make test`` (``scripts/infra-tools.sh`` for the PyPI tools in
``infra/.venv-tools``, ``scripts/system-deps.sh promtool`` for Debian's promtool). When a test
runs without them (plain ``pytest``), the fixtures run the same scripts once, so nothing is
skipped silently; a tool that still cannot be had fails the test with the reason.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
CHART = INFRA / "helm" / "learnloop"
TERRAFORM = INFRA / "terraform"
OBSERVABILITY = INFRA / "observability"
RULES = OBSERVABILITY / "prometheus" / "rules"
DASHBOARDS = OBSERVABILITY / "grafana" / "dashboards"
DOCKERFILE = INFRA / "docker" / "Dockerfile"
PRODUCTION_VALUES = CHART / "ci" / "production-values.yaml"
KUBE_VERSION = "1.34.0"
RELEASE = "learnloop"
NAMESPACE = "learnloop"


@dataclass(frozen=True)
class Tools:
    """Paths of the offline validators."""

    bin: Path

    @property
    def python(self) -> Path:
        return self.bin / "python"

    @property
    def checkov(self) -> Path:
        return self.bin / "checkov"

    @property
    def kubernetes_validate(self) -> Path:
        return self.bin / "kubernetes-validate"

    @property
    def hadolint(self) -> Path:
        return self.bin / "hadolint"


def run(
    cmd: list[str | Path], *, timeout: float = 300, **kwargs: Any
) -> subprocess.CompletedProcess:
    """Run a command, capture text output, never raise on a non-zero exit."""
    return subprocess.run(
        [str(c) for c in cmd],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )


def load_documents(directory: Path) -> list[dict[str, Any]]:
    """Every YAML document in a folder of rendered manifests."""
    docs = []
    for path in sorted(directory.glob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


@dataclass(frozen=True)
class Rendered:
    """A rendered chart: its folder, its objects, and helpers to find them."""

    directory: Path
    docs: list[dict[str, Any]]

    def kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.docs if d["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        matches = [d for d in self.kind(kind) if d["metadata"]["name"] == name]
        assert len(matches) == 1, f"{kind}/{name}: {len(matches)} objects"
        return matches[0]


def render_chart(tools: Tools, out: Path, *args: str) -> subprocess.CompletedProcess:
    """``helm lint`` + ``helm template`` of the chart through infra/tools/render_chart.py."""
    return run(
        [
            tools.python,
            INFRA / "tools" / "render_chart.py",
            CHART,
            "--release",
            RELEASE,
            "--namespace",
            NAMESPACE,
            "--kube-version",
            f"v{KUBE_VERSION}",
            "--out",
            out,
            *args,
        ]
    )


NEGATIVE_MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: deliberately-insecure
  namespace: checkov-negative-control
spec:
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec:
      hostNetwork: true
      containers:
        - name: x
          image: nginx:latest
          securityContext: {privileged: true}
"""


def json_documents(text: str) -> Iterator[Any]:
    """Each JSON value in a stream of concatenated JSON documents (checkov prints several)."""
    decoder, index = json.JSONDecoder(), 0
    while index < len(text):
        while index < len(text) and text[index].isspace():
            index += 1
        if index < len(text):
            document, index = decoder.raw_decode(text, index)
            yield document


# ---- PromQL found in rules, dashboards and the prometheus-adapter config

GRAFANA_VARIABLES = {
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$namespace": "learnloop",
    "$service": ".*",
}


def rule_groups() -> list[dict[str, Any]]:
    """Groups of every Prometheus rule file."""
    groups = []
    for path in sorted(RULES.glob("*.yaml")):
        groups.extend(yaml.safe_load(path.read_text())["groups"])
    return groups


def rule_expressions() -> dict[str, str]:
    """``alert:<name>`` / ``record:<name>`` -> expression."""
    return {
        ("alert:" + r["alert"]) if "alert" in r else ("record:" + r["record"]): r["expr"]
        for group in rule_groups()
        for r in group["rules"]
    }


def dashboards() -> dict[str, dict[str, Any]]:
    """File name -> dashboard JSON."""
    return {p.name: json.loads(p.read_text()) for p in sorted(DASHBOARDS.glob("*.json"))}


def dashboard_expressions() -> dict[str, str]:
    """``<file>#<panel id><refId>`` -> expression with Grafana variables substituted."""
    found = {}
    for name, board in dashboards().items():
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                expr = target["expr"]
                for variable, value in GRAFANA_VARIABLES.items():
                    expr = expr.replace(variable, value)
                found[f"{name}#{panel['id']}{target['refId']}"] = expr
    return found


def adapter_expressions() -> dict[str, str]:
    """prometheus-adapter seriesQuery / metricsQuery (templates filled like the adapter does)."""
    config = yaml.safe_load((OBSERVABILITY / "prometheus-adapter.yaml").read_text())
    found = {}
    for kind in ("custom", "external"):
        for index, rule in enumerate(config["rules"].get(kind, [])):
            found[f"{kind}[{index}].seriesQuery"] = rule["seriesQuery"]
            query = (
                rule["metricsQuery"]
                .replace("<<.Series>>", re.search(r"^\w+", rule["seriesQuery"]).group(0))
                .replace("<<.LabelMatchers>>", 'namespace="learnloop"')
                .replace("<<.GroupBy>>", "pod")
            )
            found[f"{kind}[{index}].metricsQuery"] = query
    return found


def promql_selectors(tools: Tools, expressions: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Parse expressions with promql-parser (infra/tools/promql_selectors.py), keyed like input."""
    keys = list(expressions)
    out = run(
        [tools.python, INFRA / "tools" / "promql_selectors.py"],
        input=json.dumps([expressions[k] for k in keys]),
    )
    assert out.returncode == 0, out.stderr
    return dict(zip(keys, json.loads(out.stdout), strict=True))
