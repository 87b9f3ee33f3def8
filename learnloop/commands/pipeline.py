"""``learnloop pipeline``: run the training pipeline locally, one step (what ``dvc repro`` calls),
show the last run, compile/deploy it to SageMaker, and the retraining trigger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from learnloop.console import CliError, console, progress_bar, wrapping_table
from learnloop.settings import get_settings

app = typer.Typer(
    help="Training pipeline: ingest → validate → features → train → evaluate → register.",
    no_args_is_help=True,
)

QuickOpt = Annotated[
    bool | None,
    typer.Option("--quick/--full", help="Quick mode (small sample, fast models; ~1-2 min)."),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Rerun steps even if unchanged.")]


def _run(steps: list[str] | None, *, quick: bool | None, force: bool) -> Any:
    from pipelines.graph import STEP_NAMES
    from pipelines.runner import run_pipeline

    settings = get_settings()
    total = len(steps or STEP_NAMES)
    with progress_bar("pipeline", total=total) as advance:

        def listener(step: str, event: str) -> None:
            if event == "start":
                console.print(f"[bold]{step}[/bold] running")
            else:
                advance(1)
                style = {"failed": "red", "unchanged": "dim"}.get(event, "green")
                console.print(f"[{style}]{step}: {event}[/{style}]")

        def report(message: str) -> None:
            console.print(f"  {message}", highlight=False)

        result = run_pipeline(
            settings, steps=steps, force=force, quick=quick, listener=listener, report=report
        )
    table = wrapping_table(
        "step", "status", "seconds", "summary", title=f"pipeline ({result.profile})"
    )
    for outcome in result.outcomes:
        table.add_row(outcome.step, outcome.status, f"{outcome.seconds:.1f}", outcome.summary)
    console.print(table)
    if not result.ok:
        console.print(f"[red]error:[/red] {result.error}", highlight=False)
        raise typer.Exit(1)
    if not result.ran:
        console.print("nothing to do: every step is up to date")
    return result


@app.command("run")
def run(
    steps: Annotated[
        str | None,
        typer.Option(help="Comma-separated steps (default: all), e.g. train_kt,evaluate."),
    ] = None,
    quick: QuickOpt = None,
    force: ForceOpt = False,
) -> None:
    """Run the pipeline; steps whose inputs, parameters and code are unchanged are skipped."""
    _run(steps.split(",") if steps else None, quick=quick, force=force)


@app.command("step")
def step(
    name: Annotated[str, typer.Argument(help="Step name (see `learnloop pipeline show`).")],
    quick: QuickOpt = None,
    force: ForceOpt = False,
    sagemaker: Annotated[
        bool, typer.Option("--sagemaker", help="Inside a SageMaker job: /opt/ml folders.")
    ] = False,
) -> None:
    """Run one step (its upstream outputs must exist): the command of each dvc.yaml stage."""
    if sagemaker:
        from pipelines.sagemaker.container import run_container_step

        result = run_container_step(get_settings(), name)
        console.print(f"{name}: {result.summary}")
        return
    _run([name], quick=quick, force=force)


@app.command("show")
def show(quick: QuickOpt = None) -> None:
    """The steps, their last run and outputs."""
    from pipelines.artifacts import ArtifactStore
    from pipelines.graph import STEPS
    from pipelines.params import load_params
    from pipelines.runner import artifact_root

    settings = get_settings()
    params = load_params(settings, quick=quick)
    store = ArtifactStore(artifact_root(settings, params))
    table = wrapping_table("step", "after", "last run", "seconds", "summary", title=f"{store.root}")
    for spec in STEPS:
        state = store.read_state(spec.name)
        table.add_row(
            spec.name,
            ", ".join(spec.upstream),
            state.status if state else "never",
            f"{state.seconds:.1f}" if state else "",
            state.summary if state else spec.description,
        )
    console.print(table)


@app.command("dvc-yaml")
def dvc_yaml(
    out: Annotated[Path, typer.Option(help="Where to write the DVC pipeline.")] = Path("dvc.yaml"),
) -> None:
    """Write dvc.yaml from the step graph (stages call `learnloop pipeline step`)."""
    from pipelines.dvc import render_dvc_yaml

    out.write_text(render_dvc_yaml())
    console.print(f"wrote {out}")


@app.command("compile")
def compile_(
    out: Annotated[Path, typer.Option(help="Pipeline definition JSON.")] = Path(
        "sagemaker-pipeline.json"
    ),
) -> None:
    """Compile the step graph into a SageMaker Pipeline definition (no AWS call)."""
    from pipelines.sagemaker.compiler import compile_definition

    with console.status("compiling (the SageMaker SDK loads in ~15 s)"):
        definition = compile_definition(get_settings())
    out.write_text(json.dumps(definition, indent=1))
    console.print(f"wrote {out}: {len(definition['Steps'])} top-level steps")


@app.command("deploy")
def deploy(
    target: Annotated[str, typer.Option(help="Only 'sagemaker' for now.")] = "sagemaker",
    start: Annotated[bool, typer.Option("--start/--no-start", help="Start an execution.")] = True,
) -> None:
    """Upsert the SageMaker pipeline (and start it); needs AWS credentials."""
    if target != "sagemaker":
        raise CliError(f"unknown target {target!r}; allowed: sagemaker")
    from pipelines.sagemaker.deploy import deploy_pipeline

    with console.status("upserting the SageMaker pipeline"):
        result = deploy_pipeline(get_settings(), start=start)
    console.print(result.summary())


@app.command("trigger")
def trigger(
    always: Annotated[
        bool, typer.Option("--always", help="Retrain even without a drift breach (schedule).")
    ] = False,
) -> None:
    """Check drift and, on a breach (or --always), retrain: locally or on SageMaker."""
    from pipelines.drift.trigger import check_and_trigger

    settings = get_settings()
    with console.status("checking drift"):
        outcome = check_and_trigger(settings, always=always, report=console.print)
    console.print(outcome.summary())
