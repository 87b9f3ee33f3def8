"""Static and dependency scans as tests: bandit finds no high-severity issue in the code base,
pip-audit finds no known vulnerability in the locked dependencies except the justified ones."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from learnloop.settings import REPO_ROOT

pytestmark = pytest.mark.slow
SOURCES = ["learnloop", "services", "serving", "features", "models", "pipelines", "knowledge_graph"]
LOCK = REPO_ROOT / "requirements" / "lock.txt"
JUSTIFICATIONS = REPO_ROOT / "requirements" / "audit-justifications.txt"
BIN = Path(sys.executable).parent


def test_bandit_finds_no_high_severity_issue() -> None:
    run = subprocess.run(
        [str(BIN / "bandit"), "-r", *SOURCES, "-q", "-f", "json", "--severity-level", "high"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(run.stdout)
    assert report["metrics"]["_totals"]["loc"] > 10_000  # it really scanned the code base
    high = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in report["results"]
        if r["issue_severity"] == "HIGH"
    ]
    assert not high, "\n".join(high)
    assert run.returncode == 0, run.stderr


def justified() -> dict[str, str]:
    """Accepted vulnerability ids and their reasons (each line must give one)."""
    accepted = {}
    for line in JUSTIFICATIONS.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            vuln_id, _package, reason = ([*line.split(maxsplit=2), "", ""])[:3]
            assert reason.strip(), f"no reason given for {vuln_id} in {JUSTIFICATIONS.name}"
            accepted[vuln_id] = reason
    return accepted


def _pypi_reachable() -> bool:
    try:
        with socket.create_connection(("pypi.org", 443), timeout=5):
            return True
    except OSError:
        return False


def test_locked_dependencies_have_no_unjustified_known_vulnerability(tmp_path: Path) -> None:
    accepted = justified()
    if not _pypi_reachable():
        pytest.skip("pip-audit needs PyPI's vulnerability API and pypi.org:443 is unreachable")
    report = tmp_path / "audit.json"
    ignores = [arg for vuln in accepted for arg in ("--ignore-vuln", vuln)]
    run = subprocess.run(
        [str(BIN / "pip-audit"), "-r", str(LOCK), "--no-deps", "--disable-pip",
         "--progress-spinner", "off", "-f", "json", "-o", str(report), *ignores],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    audited = json.loads(report.read_text())["dependencies"]
    assert len(audited) >= sum(1 for line in LOCK.read_text().splitlines() if "==" in line) - 5
    found = [
        f"{d['name']}=={d['version']}: {', '.join(v['id'] for v in d['vulns'])}"
        for d in audited
        if d.get("vulns")
    ]
    assert not found, "unjustified known vulnerabilities:\n" + "\n".join(found)
    assert run.returncode == 0, run.stderr
