"""Fixtures of the infra tests: the offline tool set, the rendered chart, one checkov scan.

The tools are installed by ``make test`` (``scripts/infra-tools.sh`` for the PyPI tools in
``infra/.venv-tools``, ``scripts/system-deps.sh promtool`` for Debian's promtool). When a test
runs without them (plain ``pytest``), the fixtures run the same scripts once, so nothing is
skipped silently; a tool that still cannot be had fails the test with the reason.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from testkit.infra import (
    CHART,
    DOCKERFILE,
    NEGATIVE_MANIFEST,
    PRODUCTION_VALUES,
    REPO,
    TERRAFORM,
    Rendered,
    Tools,
    json_documents,
    load_documents,
    render_chart,
    run,
)


@pytest.fixture(scope="session")
def tools() -> Tools:
    """infra/.venv-tools (checkov, kubernetes-validate, hadolint, helm SDK, promql-parser)."""
    out = run([REPO / "scripts" / "infra-tools.sh"], timeout=900)
    assert out.returncode == 0, f"scripts/infra-tools.sh failed:\n{out.stdout}\n{out.stderr}"
    path = run([REPO / "scripts" / "infra-tools.sh", "--path"]).stdout.strip()
    return Tools(Path(path))


@pytest.fixture(scope="session")
def promtool() -> Path:
    """Debian's promtool (package prometheus)."""
    found = shutil.which("promtool")
    if not found:
        out = run([REPO / "scripts" / "system-deps.sh", "promtool"], timeout=900)
        found = shutil.which("promtool")
        assert found, f"promtool not installable:\n{out.stdout}\n{out.stderr}"
    return Path(found)


@pytest.fixture(scope="session")
def rendered(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """The chart rendered with the production example values (what checkov scans)."""
    out = tmp_path_factory.mktemp("rendered-production")
    result = render_chart(tools, out, "-f", str(PRODUCTION_VALUES))
    assert result.returncode == 0, result.stderr
    return Rendered(out, load_documents(out))


@pytest.fixture(scope="session")
def rendered_defaults(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """The chart rendered with values.yaml only."""
    out = tmp_path_factory.mktemp("rendered-defaults")
    result = render_chart(tools, out)
    assert result.returncode == 0, result.stderr
    return Rendered(out, load_documents(out))


@pytest.fixture(scope="session")
def values() -> dict[str, Any]:
    """The chart's values.yaml."""
    return yaml.safe_load((CHART / "values.yaml").read_text())


@pytest.fixture(scope="session")
def checkov_reports(
    tools: Tools, rendered: Rendered, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """One checkov run over Terraform, the rendered manifests and the Dockerfile.

    A deliberately insecure manifest rides along in ``negative/`` as a control: the scan must
    flag it, which proves the gate can fail. Returns the reports keyed by framework.
    """
    scan = tmp_path_factory.mktemp("checkov")
    shutil.copytree(TERRAFORM, scan / "terraform", ignore=shutil.ignore_patterns(".terraform*"))
    shutil.copytree(rendered.directory, scan / "k8s")
    (scan / "docker").mkdir()
    shutil.copy(DOCKERFILE, scan / "docker" / "Dockerfile")
    (scan / "negative").mkdir()
    (scan / "negative" / "insecure.yaml").write_text(NEGATIVE_MANIFEST)
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    out = run(
        [
            tools.checkov,
            "-d",
            scan,
            "--framework",
            "terraform",
            "kubernetes",
            "dockerfile",
            "--quiet",
            "--compact",
            "--skip-download",
            "-o",
            "json",
        ],
        env=env,
        timeout=600,
        cwd=scan,
    )
    reports: dict[str, Any] = {}
    for document in json_documents(out.stdout):
        for report in document if isinstance(document, list) else [document]:
            reports[report["check_type"]] = report
    assert set(reports) == {"terraform", "kubernetes", "dockerfile"}, out.stderr[-3000:]
    return reports
