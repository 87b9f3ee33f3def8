"""``learnloop experiment``: list, assign, report, simulate and validate A/B experiments."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import yaml

from learnloop.console import CliError, console, wrapping_table
from learnloop.settings import get_settings

if TYPE_CHECKING:
    from pipelines.experiments.definitions import ExperimentRegistry

app = typer.Typer(help="A/B experiments: definitions, assignment, reports.", no_args_is_help=True)


def _registry() -> ExperimentRegistry:
    from pipelines.experiments.definitions import ExperimentRegistry

    return ExperimentRegistry.from_dir(get_settings().experiments_dir)


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"--until {value!r} is not an ISO date/time (e.g. 2024-02-01)") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@app.command("list")
def list_experiments() -> None:
    """List the experiments defined in the experiments folder."""
    registry = _registry()
    table = wrapping_table("id", "variants", "primary metric", "start", "end", title="experiments")
    for exp in registry:
        variants = ", ".join(f"{n} {w:.0%}" for n, w in exp.weights.items())
        end = exp.end.isoformat() if exp.end else "open"
        table.add_row(exp.id, variants, exp.primary_metric, exp.start.isoformat(), end)
    console.print(table)
    console.print(f"{len(registry)} experiment(s) in {get_settings().experiments_dir}")


@app.command("assign")
def assign_learner(
    experiment_id: Annotated[str, typer.Argument(help="Experiment id.")],
    learner_id: Annotated[str, typer.Argument(help="Learner id.")],
    course: Annotated[str | None, typer.Option(help="Course the learner is in.")] = None,
    platform: Annotated[str | None, typer.Option(help="Platform (web, ios, ...).")] = None,
) -> None:
    """Print the variant a learner gets (deterministic; 'none' when not in the population)."""
    from pipelines.experiments.assignment import Assigner

    variant = Assigner(_registry()).assign(
        experiment_id, learner_id, course_id=course, platform=platform
    )
    typer.echo(variant or "none")


@app.command("report")
def report(
    experiment_id: Annotated[str, typer.Argument(help="Experiment id.")],
    out: Annotated[
        Path | None, typer.Option(help="HTML file (default <data_dir>/reports/<id>.html).")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Analyse data before this time.")] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the analysis as JSON.")
    ] = None,
) -> None:
    """Analyse an experiment from the lake and write a self-contained HTML report."""
    from learnloop.resources import lake_from_settings
    from pipelines.experiments.analysis import analyze, to_dict
    from pipelines.experiments.data import load_experiment_data
    from pipelines.experiments.report import write_report

    settings = get_settings()
    experiment = _registry().get(experiment_id)
    with console.status(f"reading {experiment_id} from the lake"):
        data = load_experiment_data(lake_from_settings(settings), experiment, until=_when(until))
    if data.units.empty:
        raise CliError(
            f"no exposures of {experiment_id!r} in the lake since {experiment.start.isoformat()} "
            "(events must carry context.experiments)"
        )
    with console.status("analysing and plotting"):
        analysis = analyze(experiment, data)
        path = write_report(analysis, out or settings.reports_dir / f"{experiment_id}.html")
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(to_dict(analysis), indent=2, allow_nan=False))
    for line in analysis.summary():
        console.print(line, highlight=False)
    console.print(f"wrote {path}")


@app.command("simulate")
def simulate(
    experiment_id: Annotated[
        str, typer.Option("--id", help="Experiment id.")
    ] = "demo-easier-items",
    learners: Annotated[int, typer.Option(min=20, help="Simulated learners.")] = 2000,
    answers: Annotated[int, typer.Option(min=1, help="Answers per learner in the test.")] = 30,
    seed: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """Simulate an A/B test into the lake and save its definition (to try `report`)."""
    from learnloop.resources import lake_from_settings
    from pipelines.experiments.demo import simulate_experiment

    settings = get_settings()
    if experiment_id in {e.id for e in _registry()}:
        raise CliError(f"experiment {experiment_id!r} already exists in {settings.experiments_dir}")
    with console.status(f"simulating {learners} learners"):
        experiment, n_events = simulate_experiment(
            lake_from_settings(settings),
            experiment_id=experiment_id,
            n_learners=learners,
            answers=answers,
            seed=seed,
        )
    settings.experiments_dir.mkdir(parents=True, exist_ok=True)
    path = settings.experiments_dir / f"{experiment.id}.yaml"
    document = experiment.model_dump(mode="json", exclude_defaults=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    console.print(f"wrote {n_events} events to the lake and {path}")
    console.print(f"next: learnloop experiment report {experiment.id}")


@app.command("validate")
def validate(
    quick: Annotated[bool, typer.Option(help="Fewer simulated experiments.")] = False,
) -> None:
    """Re-run the simulator proofs and print the measured rates (A/A, A/B, CUPED, OPE)."""
    from pipelines.experiments.ope_validation import ope_study
    from pipelines.experiments.validation import aa_study, ab_study, simulate_potential_outcomes

    n_aa, n_ab = (500, 300) if quick else (2000, 1000)
    with console.status("simulating learners"):
        outcomes = simulate_potential_outcomes()
        aa = aa_study(outcomes, n_experiments=n_aa)
        ab = ab_study(outcomes, n_experiments=n_ab)
        checks, logged = ope_study()
    table = wrapping_table("check", "measured", "expected", title="experiment analysis, simulated")
    band = 3 * aa.sampling_error
    table.add_row(
        "A/A false-positive rate (Welch)", f"{aa.fpr_welch:.4f}", f"{aa.alpha}±{band:.4f}"
    )
    table.add_row(
        "A/A false-positive rate (CUPED)", f"{aa.fpr_cuped:.4f}", f"{aa.alpha}±{band:.4f}"
    )
    table.add_row(f"A/A peeking {aa.n_looks}×, t-test", f"{aa.fpr_peeking_naive:.4f}", "inflated")
    table.add_row(
        f"A/A peeking {aa.n_looks}×, mSPRT", f"{aa.fpr_peeking_msprt:.4f}", f"≤ {aa.alpha}"
    )
    table.add_row("A/B true effect (accuracy)", f"{ab.true_effect:+.4f}", "from both arms")
    table.add_row("A/B power (Welch)", f"{ab.power_welch:.3f}", f"{ab.expected_power_welch:.3f}")
    table.add_row("A/B power (CUPED)", f"{ab.power_cuped:.3f}", f"{ab.expected_power_cuped:.3f}")
    table.add_row("A/B power (mSPRT, 20 looks)", f"{ab.power_msprt:.3f}", "< Welch")
    table.add_row(
        "A/B CI coverage (Welch / CUPED)",
        f"{ab.coverage_welch:.3f} / {ab.coverage_cuped:.3f}",
        "0.95",
    )
    table.add_row(
        "CUPED variance reduction",
        f"{ab.variance_reduction:.3f}",
        f"ρ² = {ab.squared_correlation:.3f}",
    )
    for check in checks:
        measured = " ".join(f"{k}={e.value:.4f}" for k, e in check.estimates.items())
        table.add_row(
            f"OPE {check.policy} (logged {logged:.4f})",
            measured,
            f"{check.true_value:.4f}±{check.true_value_se:.4f}",
        )
    console.print(table)
