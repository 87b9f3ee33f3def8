"""Self-contained HTML experiment report: inline SVG plots, no external resource, no network."""

from __future__ import annotations

import json
import math
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from pipelines.experiments.analysis import ExperimentAnalysis, to_dict
from pipelines.experiments.metrics import METRICS
from pipelines.experiments.plots import PLOTS


def _pct(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:+.2%}"


def _num(value: float, digits: int = 4) -> str:
    return "–" if not math.isfinite(value) else f"{value:.{digits}g}"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("pipelines.experiments", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = _pct
    env.filters["num"] = _num
    return env


def render_report(analysis: ExperimentAnalysis) -> str:
    """The report as one HTML document (plots inline, analysis JSON embedded)."""
    plots = {name: Markup(draw(analysis)) for name, draw in PLOTS.items()}  # noqa: S704
    data = json.dumps(to_dict(analysis), allow_nan=False).replace("</", "<\\/")
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            a=analysis,
            e=analysis.experiment,
            plots=plots,
            metrics=METRICS,
            data=Markup(data),  # noqa: S704
        )
    )


def write_report(analysis: ExperimentAnalysis, path: Path) -> Path:
    """Render and write the report to ``path`` (parent folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(analysis), encoding="utf-8")
    return path
