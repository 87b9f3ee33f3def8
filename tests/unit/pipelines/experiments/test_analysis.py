"""Analysis from the lake: exposures, SRM, CUPED, guardrails, segments, timeline, report HTML."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from testkit.events import make_events

from features.lake import Lake, events_to_table
from pipelines.experiments.analysis import (
    EffectSummary,
    ExperimentAnalysis,
    analyze,
    guardrail_verdict,
    to_dict,
)
from pipelines.experiments.assignment import assign
from pipelines.experiments.data import ExperimentData, load_experiment_data
from pipelines.experiments.definitions import Experiment, Guardrail
from pipelines.experiments.demo import simulate_experiment
from pipelines.experiments.plots import PLOTS
from pipelines.experiments.report import render_report


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Experiment, Lake, ExperimentData]:
    lake = Lake.from_uri(str(tmp_path_factory.mktemp("lake")))
    experiment, _ = simulate_experiment(lake, n_learners=600, answers=30, seed=1)
    return experiment, lake, load_experiment_data(lake, experiment)


@pytest.fixture(scope="module")
def analysis(simulated: tuple[Experiment, Lake, ExperimentData]) -> ExperimentAnalysis:
    experiment, _, data = simulated
    return analyze(experiment, data)


def test_exposures_match_the_assignment(simulated) -> None:
    experiment, _, data = simulated
    assert len(data.units) == 600
    assert data.conflicts == 0
    for row in data.units.head(50).itertuples():
        assert row.variant == assign(experiment, row.learner_id)
    assert set(data.units["tenure"]) == {"returning"}, "every learner has pre-period events"
    assert data.units["exposure_day"].between(0, 14).all()
    assert data.units["exposure_day"].nunique() >= 5, "learners arrive over the first week"


def test_analysis_finds_the_effect_and_cuped_removes_variance(analysis: ExperimentAnalysis) -> None:
    assert not analysis.srm.mismatch
    (primary,) = analysis.primary
    assert primary.metric == "accuracy" and primary.variant == "easier"
    assert primary.cuped.diff > 0, "treatment hides the hardest items: accuracy rises"
    assert primary.variance_reduction > 0.2
    assert primary.cuped.ci_high - primary.cuped.ci_low < primary.raw.ci_high - primary.raw.ci_low
    guard = next(r for r in analysis.results if r.role == "guardrail")
    assert guard.metric == "mean_duration_s" and guard.guardrail in {"pass", "inconclusive"}


def test_segments_and_timeline_cover_every_unit(analysis: ExperimentAnalysis) -> None:
    by_dimension: dict[str, int] = {}
    for segment in analysis.segments:
        count = segment.effect.n_control + segment.effect.n_treatment
        by_dimension[segment.dimension] = by_dimension.get(segment.dimension, 0) + count
    assert by_dimension == {"platform": 600, "course": 600, "tenure": 600}
    (series,) = analysis.timeline
    assert series.n[-1] == 600 and series.n == sorted(series.n)
    assert np.all(np.diff(series.p_always_valid) <= 0)
    assert series.diff[-1] == pytest.approx(analysis.primary[0].cuped.diff, abs=1e-9)


def test_srm_is_flagged_when_exposures_go_missing(simulated) -> None:
    experiment, _, data = simulated
    units = data.units
    dropped = units[units["variant"] == "easier"].index[: len(units) // 6]
    broken = replace(data, units=units.drop(index=dropped).reset_index(drop=True))
    result = analyze(experiment, broken)
    assert result.srm.mismatch
    assert result.summary()[0].startswith("Sample ratio mismatch")


def test_conflicting_exposures_are_excluded(tmp_path: Path) -> None:
    lake = Lake.from_uri(str(tmp_path))
    events = make_events(40, learners=4)
    tagged = []
    for i, event in enumerate(events):
        variant = "a" if event.learner_id != "l0" else ("a" if (i // 4) % 2 else "b")
        context = event.context.model_copy(update={"experiments": {"exp-x": variant}})
        tagged.append(event.model_copy(update={"context": context}))
    lake.write_events(events_to_table(tagged))
    experiment = Experiment.model_validate(
        {
            "id": "exp-x",
            "variants": [{"name": "a"}, {"name": "b"}],
            "primary_metric": "accuracy",
            "start": events[0].timestamp,
            "end": events[-1].timestamp.replace(year=2030),
        }
    )
    data = load_experiment_data(lake, experiment)
    assert data.conflicts == 1
    assert sorted(data.units["learner_id"]) == ["l1", "l2", "l3"]


@pytest.mark.parametrize(
    ("lift", "low", "high", "direction", "expected"),
    [
        (0.01, -0.01, 0.03, "increase", "pass"),
        (-0.06, -0.09, -0.03, "increase", "fail"),
        (-0.01, -0.08, 0.06, "increase", "inconclusive"),
        (0.06, 0.03, 0.09, "decrease", "fail"),
        (-0.05, -0.08, -0.02, "decrease", "pass"),
    ],
)
def test_guardrail_verdicts(lift, low, high, direction, expected) -> None:
    summary = EffectSummary(
        diff=lift,
        ci_low=low,
        ci_high=high,
        p_value=0.5,
        lift=lift,
        lift_ci_low=low,
        lift_ci_high=high,
        control_mean=1,
        treatment_mean=1 + lift,
        n_control=10,
        n_treatment=10,
        significant=False,
    )
    guard = Guardrail(metric="accuracy", direction=direction, tolerance=0.02)
    assert guardrail_verdict(summary, guard) == expected


def test_report_html_is_self_contained_with_every_plot(analysis: ExperimentAnalysis) -> None:
    html = render_report(analysis)
    for name in PLOTS:
        assert f'data-plot="{name}"' in html
    assert html.count("<svg") == len(PLOTS)
    for loader in ('src="http', 'href="http', "url(http", "@import", "<link", "<iframe"):
        assert loader not in html
    embedded = html.split('id="analysis-data">', 1)[1].split("</script>", 1)[0]
    assert json.loads(embedded)["experiment"]["id"] == analysis.experiment.id
    assert json.dumps(to_dict(analysis), allow_nan=False)


def test_a_variant_without_exposures_still_renders(simulated) -> None:
    experiment, _, data = simulated
    definition = experiment.model_dump()
    definition["variants"].append({"name": "ghost", "weight": 1.0})
    three_arms = Experiment.model_validate(definition)
    result = analyze(three_arms, data)
    assert result.srm.mismatch, "a third of the traffic is missing"
    assert "ghost vs control: not enough data yet." in result.summary()
    assert render_report(result).count("<svg") == len(PLOTS)
