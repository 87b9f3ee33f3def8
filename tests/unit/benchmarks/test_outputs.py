"""A --quick benchmark run never overwrites the committed full tables."""

from __future__ import annotations

import subprocess

from benchmarks.outputs import RESULTS, results_dir


def test_quick_runs_write_under_the_git_ignored_cache() -> None:
    quick, full = results_dir(True), results_dir(False)
    assert full == RESULTS and quick != full and quick.is_dir()
    probe = quick / "path.md"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(probe)], cwd=RESULTS, check=False
    ).returncode
    assert ignored == 0, f"{probe} is not git-ignored"
    tracked = subprocess.run(
        ["git", "check-ignore", "-q", str(full / "path.md")], cwd=RESULTS, check=False
    ).returncode
    assert tracked == 1  # the full table is committed
