"""End to end: simulate an A/B into a lake, `learnloop experiment report`, open it in chromium.

The report must render in real headless Chromium (Debian's ``chromium``, driven by Playwright
without any downloaded browser) with no console error, no network request and every plot drawn.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from testkit.browser import CHROMIUM, CHROMIUM_FLAGS

from pipelines.experiments.plots import PLOTS

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def run_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEARNLOOP_DATA_DIR": str(data_dir), "LEARNLOOP_LOG_JSON": "false"}
    return subprocess.run(
        [sys.executable, "-m", "learnloop.cli", "experiment", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    data_dir = tmp_path_factory.mktemp("data")
    simulated = run_cli(data_dir, "simulate", "--learners", "500", "--answers", "25")
    assert simulated.returncode == 0, simulated.stderr
    assert (data_dir / "experiments" / "demo-easier-items.yaml").is_file()
    out, analysis = data_dir / "report.html", data_dir / "analysis.json"
    made = run_cli(
        data_dir, "report", "demo-easier-items", "--out", str(out), "--json", str(analysis)
    )
    assert made.returncode == 0, made.stderr
    assert "easier vs control: accuracy" in made.stderr
    return out, analysis


def test_report_command_refuses_unknown_experiment(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "report", "nope")
    assert result.returncode == 2
    assert "unknown experiment 'nope'" in result.stderr
    assert "Traceback" not in result.stderr


def test_report_json_has_the_primary_effect(report: tuple[Path, Path]) -> None:
    analysis = json.loads(report[1].read_text())
    (primary,) = [r for r in analysis["results"] if r["role"] == "primary"]
    assert primary["metric"] == "accuracy"
    assert primary["cuped"]["n_control"] + primary["cuped"]["n_treatment"] == 500


def test_report_renders_in_headless_chromium(report: tuple[Path, Path]) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: run `scripts/system-deps.sh chromium` (make system-deps)")
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on(
                "console",
                lambda m: problems.append(m.text) if m.type in {"error", "warning"} else None,
            )
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report[0].as_uri(), wait_until="load")
            plots = page.eval_on_selector_all(
                "figure.plot",
                """figs => figs.map(f => {
                    const svg = f.querySelector('svg');
                    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
                    return {name: f.dataset.plot, width: box.width, height: box.height,
                            marks: svg ? svg.querySelectorAll('path, rect, use').length : 0};
                })""",
            )
            toc = page.eval_on_selector_all("#toc li", "items => items.length")
            ready = page.evaluate("document.body.dataset.plots")
        finally:
            browser.close()
    assert problems == []
    assert [u for u in requests if not u.startswith(("file://", "data:"))] == []
    assert sorted(p["name"] for p in plots) == sorted(PLOTS)
    for plot in plots:
        assert plot["width"] > 200 and plot["height"] > 100, plot
        assert plot["marks"] > 10, plot
    assert toc == 6 and ready == str(len(PLOTS))
