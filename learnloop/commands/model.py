"""``learnloop model``: the MLflow registry — list versions, promote, roll back, decisions."""

from __future__ import annotations

from typing import Annotated

import typer

from learnloop.console import console, wrapping_table
from learnloop.settings import get_settings

app = typer.Typer(
    help="Model registry: champion/challenger versions, promote, rollback.", no_args_is_help=True
)

ModelArg = Annotated[str, typer.Argument(help="kt, rec or a registered model name.")]
ReasonOpt = Annotated[str, typer.Option(help="Why (recorded with the decision).")]
ActorOpt = Annotated[str, typer.Option(help="Who decides (recorded).")]


@app.command("list")
def list_(model: ModelArg = "kt") -> None:
    """Versions of a registered model, newest first, with aliases and gate outcomes."""
    from pipelines.registry import tracking, versions

    settings = get_settings()
    name = versions.resolve_name(settings, model)
    with console.status("reading the registry (MLflow loads in ~15 s)"):
        rows = versions.list_versions(tracking.client(settings), name)
    if not rows:
        console.print(f"{name}: no versions yet (run `learnloop pipeline run`)")
        return
    table = wrapping_table(
        "version", "aliases", "created", "model", "metric", "gate", "decision", title=name
    )
    for r in rows:
        table.add_row(
            str(r["version"]),
            ", ".join(r["aliases"]),
            r["created"],
            r["model_kind"],
            r["metric"],
            r["gate"],
            r["decision"],
        )
    console.print(table)


@app.command("promote")
def promote(
    model: ModelArg,
    version: Annotated[str, typer.Argument(help="Version to make champion.")],
    reason: ReasonOpt = "manual promotion",
    actor: ActorOpt = "cli",
) -> None:
    """Make VERSION the champion (a manual decision, recorded with its reason)."""
    from pipelines.registry import tracking, versions

    settings = get_settings()
    name = versions.resolve_name(settings, model)
    with console.status("updating the registry"):
        decision = versions.promote(
            settings, tracking.client(settings), name, version, reasons=[reason], actor=actor,
            action="manually_promoted",
        )  # fmt: skip
    console.print(
        f"{name}: v{decision.version} {decision.action} (was v{decision.previous_champion})"
    )


@app.command("rollback")
def rollback(
    model: ModelArg,
    reason: ReasonOpt = "manual rollback",
    actor: ActorOpt = "cli",
) -> None:
    """Give the champion alias back to the version the current champion replaced."""
    from pipelines.registry import tracking, versions

    settings = get_settings()
    name = versions.resolve_name(settings, model)
    with console.status("updating the registry"):
        decision = versions.rollback(
            settings, tracking.client(settings), name, reason=reason, actor=actor
        )
    console.print(
        f"{name}: champion back to v{decision.version} (from v{decision.previous_champion})"
    )


@app.command("decisions")
def decisions(limit: Annotated[int, typer.Option(help="How many.")] = 20) -> None:
    """The latest registry decisions with their reasons."""
    from pipelines.registry.versions import read_decisions

    table = wrapping_table("at", "model", "action", "version", "was", "by", "reasons")
    for d in read_decisions(get_settings(), limit):
        table.add_row(
            d["at"],
            d["model"],
            d["action"],
            str(d["version"]),
            str(d["previous_champion"] or ""),
            d["actor"],
            "; ".join(d["reasons"]),
        )
    console.print(table)
