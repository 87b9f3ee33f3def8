"""dvc.yaml is generated from the step graph and DVC accepts it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from learnloop.settings import REPO_ROOT
from pipelines.dvc import render_dvc_yaml
from pipelines.graph import STEPS


def test_committed_dvc_yaml_is_the_generated_one() -> None:
    committed = (REPO_ROOT / "dvc.yaml").read_text()
    assert committed == render_dvc_yaml(), "run `learnloop pipeline dvc-yaml` and commit"


def test_stages_call_the_step_command_and_chain_outputs() -> None:
    stages = yaml.safe_load(render_dvc_yaml())["stages"]
    assert list(stages) == [s.name for s in STEPS]
    for spec in STEPS:
        stage = stages[spec.name]
        assert stage["cmd"] == f"learnloop pipeline step {spec.name} --full"
        for up in spec.upstream:
            assert f"var/pipeline/full/{up}" in stage["deps"]
        assert all((REPO_ROOT / d).exists() for d in stage["deps"] if not d.startswith("var/"))
    assert stages["ingest"]["always_changed"] and "always_changed" not in stages["train_kt"]
    assert stages["train_kt"]["params"] == ["data", "kt"]


def test_dvc_reads_the_pipeline_graph() -> None:
    dvc = Path(sys.executable).with_name("dvc")
    result = subprocess.run(
        [str(dvc), "dag", "--dot"],
        check=False,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    edges = set(re.findall(r'"(\w+)" -> "(\w+)"', result.stdout))
    expected = {(up, spec.name) for spec in STEPS for up in spec.upstream}
    assert edges == expected
