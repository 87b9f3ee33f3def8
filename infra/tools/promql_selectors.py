"""List the series every PromQL expression reads (run with the infra tool venv: promql-parser).

Reads a JSON list of expressions on stdin and prints, for each, the metric names and label
names of its vector selectors (``{__name__="x"}`` counts as ``x``), or the parse error::

    echo '["rate(a_total{route=\\"/x\\"}[5m])"]' | infra/.venv-tools/bin/python \\
        infra/tools/promql_selectors.py
    [{"expr": "...", "error": null, "selectors": [{"name": "a_total", "labels": ["route"]}]}]
"""

from __future__ import annotations

import json
import sys
from typing import Any

import promql_parser


def selectors(expression: str) -> list[dict[str, Any]]:
    """Metric name and matcher label names of each vector selector in ``expression``."""
    found: list[dict[str, Any]] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            matchers = list(node.matchers.matchers)
            name = node.name or next((m.value for m in matchers if m.name == "__name__"), None)
            labels = sorted({m.name for m in matchers if m.name != "__name__"})
            found.append({"name": name, "labels": labels})

    promql_parser.walk(promql_parser.parse(expression), visit)
    return found


def main() -> int:
    """Parse every expression on stdin; print the JSON report."""
    report = []
    for expression in json.load(sys.stdin):
        try:
            report.append({"expr": expression, "error": None, "selectors": selectors(expression)})
        except Exception as exc:  # the parser raises plain ValueError/RuntimeError variants
            report.append({"expr": expression, "error": str(exc), "selectors": []})
    json.dump(report, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
