"""checkov over Terraform, the rendered chart and the Dockerfile: no finding may stand unless it
is skipped next to the code with a written justification.

Offline checkov has no severities (they come from the Prisma Cloud API), so the gate is stricter
than "high severity": every failed check fails the test. A deliberately insecure manifest is
scanned in the same run as a control, proving that the gate can fail.
"""

from __future__ import annotations

import re
from typing import Any

from testkit.infra import CHART, DOCKERFILE, TERRAFORM

CHECK_ID = r"CKV2?_(?:AWS|K8S|DOCKER)_\d+"
HCL_SKIP = re.compile(rf"#\s*checkov:skip=({CHECK_ID})(?::(.*))?$", re.M)
YAML_SKIP = re.compile(rf"checkov\.io/skip\d+:\s*({CHECK_ID})(?:=(.*))?$", re.M)
MINIMUM_SIZE = {"terraform": 100, "kubernetes": 80, "dockerfile": 1}


def _failures(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        f for f in report["results"]["failed_checks"] if not f["file_path"].startswith("/negative/")
    ]


def test_no_unjustified_finding_in_any_framework(checkov_reports: dict[str, Any]) -> None:
    for framework, report in checkov_reports.items():
        summary = report["summary"]
        assert summary["parsing_errors"] == 0, framework
        assert summary["resource_count"] >= MINIMUM_SIZE[framework], (framework, summary)
        failures = [
            f"{f['check_id']} {f['check_name']} @ {f['file_path']}:{f['resource']}"
            for f in _failures(report)
        ]
        assert not failures, f"{framework}:\n" + "\n".join(failures)


def test_the_gate_catches_an_insecure_manifest(checkov_reports: dict[str, Any]) -> None:
    control = {
        f["check_id"]
        for f in checkov_reports["kubernetes"]["results"]["failed_checks"]
        if f["file_path"].startswith("/negative/")
    }
    assert {"CKV_K8S_16", "CKV_K8S_19", "CKV_K8S_14"} <= control, control


def _skips() -> list[tuple[str, str, str]]:
    """(file, check id, justification) of every inline checkov skip in infra/."""
    found = []
    for path in sorted(TERRAFORM.rglob("*.tf")):
        for check, reason in HCL_SKIP.findall(path.read_text()):
            found.append((str(path.relative_to(TERRAFORM)), check, reason.strip()))
    for path in sorted((CHART / "templates").glob("*.yaml")):
        for check, reason in YAML_SKIP.findall(path.read_text()):
            found.append((path.name, check, reason.strip()))
    assert "checkov" not in DOCKERFILE.read_text(), "no skips in the Dockerfile"
    return found


def test_every_skip_carries_a_justification(checkov_reports: dict[str, Any]) -> None:
    skips = _skips()
    assert skips, "the scanner must see the repository's skips"
    unjustified = [(f, c) for f, c, reason in skips if len(reason.split()) < 6]
    assert not unjustified, f"checkov skips without a real justification: {unjustified}"
    skipped = sum(r["summary"]["skipped"] for r in checkov_reports.values())
    assert skipped >= len(skips), "every inline skip applies to at least one resource"
    loose = re.compile(r"checkov:skip|checkov\.io/skip", re.I)
    for path in [*TERRAFORM.rglob("*.tf"), *(CHART / "templates").glob("*.yaml")]:
        lines = [line for line in path.read_text().splitlines() if loose.search(line)]
        parsed = HCL_SKIP if path.suffix == ".tf" else YAML_SKIP
        for line in lines:
            assert parsed.search(line), f"{path.name}: malformed skip {line.strip()!r}"
