"""``helm lint`` + ``helm template`` without a helm binary (Helm's Go SDK via helm-python-sdk).

Run it with the infra tool venv (``scripts/infra-tools.sh``)::

    infra/.venv-tools/bin/python infra/tools/render_chart.py infra/helm/learnloop \\
        -f infra/helm/learnloop/ci/production-values.yaml --out /tmp/rendered

Values files merge like ``helm -f a -f b`` (maps deep-merged, later wins, lists replaced), then
``--set`` expressions. The merged values are checked against ``values.schema.json``, the chart is
linted (strict: warnings fail), and every rendered template is written under ``--out`` (one file
per template, empty ones skipped). Prints a JSON summary; exits 1 on a lint, schema or render
error, with the message.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import helm_python as helm

LINT_WARNING = 2


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``override`` into a copy of ``base`` (Helm's coalescing of values files)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def user_values(files: list[Path], sets: list[str]) -> dict[str, Any]:
    """Values given on the command line, merged in order."""
    values: dict[str, Any] = {}
    for path in files:
        values = merge(values, helm.values_from_yaml(path.read_text()) or {})
    for expression in sets:
        values = merge(values, helm.parse_set_string(expression))
    return values


def main(argv: list[str] | None = None) -> int:
    """Lint and render; write manifests; print a summary. Returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chart", type=Path)
    parser.add_argument("-f", "--values", type=Path, action="append", default=[])
    parser.add_argument("--set", dest="sets", action="append", default=[])
    parser.add_argument("--release", default="learnloop")
    parser.add_argument("--namespace", default="learnloop")
    parser.add_argument("--kube-version", default="v1.34.0")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    values = user_values(args.values, args.sets)
    try:
        with helm.Chart.load(args.chart) as chart:
            chart.validate_schema(chart.merge_values(values))
            manifests = chart.render(values, name=args.release, namespace=args.namespace)
            chart_name = chart.name
    except helm.HelmError as exc:
        print(f"helm: {exc}", file=sys.stderr)
        return 1
    report = helm.lint(
        args.chart, values, strict=True, namespace=args.namespace, kube_version=args.kube_version
    )
    problems = [m for m in report.get("messages", []) if m.get("severity", 0) >= LINT_WARNING]
    if problems or report.get("errors"):
        print(
            json.dumps({"lint": problems, "errors": report.get("errors")}, indent=2),
            file=sys.stderr,
        )
        return 1

    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    for template, text in sorted(manifests.items()):
        if not text.strip() or template.endswith("NOTES.txt"):
            continue
        target = args.out / template.removeprefix(f"{chart_name}/").replace("/", "__")
        target.write_text(text)
        written.append(target.name)
    print(json.dumps({"chart": chart_name, "written": written, "lint": report.get("messages")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
