"""``learnloop graph``: seed, inspect and query the skill prerequisite graph."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from knowledge_graph.mining import (
    MINED_SOURCE,
    MinerParams,
    ReviewedEdge,
    add_new_edges,
    review_against,
)
from learnloop.console import console, wrapping_table
from learnloop.resources import (
    datasets_dir,
    lake_from_settings,
    seed_from_pack,
    skill_graph_from_settings,
)
from learnloop.settings import get_settings

if TYPE_CHECKING:
    from pipelines.prerequisites import MiningResult

app = typer.Typer(
    help="Skill graph: seed from course plans, show, plan prerequisites, mine from answers.",
    no_args_is_help=True,
)


@app.command("seed")
def seed(
    course: Annotated[
        list[str] | None, typer.Option(help="Only these courses (repeatable).")
    ] = None,
    reset: Annotated[bool, typer.Option(help="Clear the graph first.")] = False,
) -> None:
    """Seed skills, prerequisites and content tags from the content pack's course plans."""
    settings = get_settings()
    graph = skill_graph_from_settings(settings)
    if reset:
        graph.clear()
    with console.status("seeding the skill graph"):
        report = seed_from_pack(graph, datasets_dir(settings) / "content", course)
    console.print(report.summary())


@app.command("show")
def show(
    skill: Annotated[str | None, typer.Argument(help="A skill id; omit for totals.")] = None,
) -> None:
    """Totals of the graph, or one skill's prerequisites, dependents and content."""
    graph = skill_graph_from_settings(get_settings())
    if skill is None:
        s = graph.summary()
        by_source = ", ".join(f"{n} {source}" for source, n in sorted(s.sources.items()))
        console.print(
            f"{s.skills} skills ({s.roots} roots), {s.prerequisites} prerequisites"
            + (f" ({by_source})" if by_source else "")
            + f", {s.content} content items",
            highlight=False,
        )
        return
    info = graph.skill(skill)
    table = wrapping_table("field", "value", title=skill)
    table.add_row("mastery threshold", str(info.mastery_threshold))
    table.add_row("prerequisites", ", ".join(graph.prerequisites(skill)) or "-")
    table.add_row("dependents", ", ".join(graph.dependents(skill)) or "-")
    table.add_row("ancestors", str(len(graph.ancestors(skill))))
    table.add_row("content items", str(len(graph.content_for(skill))))
    console.print(table)


@app.command("closure")
def closure(
    goals: Annotated[list[str], typer.Argument(help="Goal skill ids.")],
    mastered: Annotated[list[str] | None, typer.Option(help="Skills already mastered.")] = None,
) -> None:
    """What is still to learn, in order, to reach GOALS (shortest prerequisite closure)."""
    graph = skill_graph_from_settings(get_settings())
    done = dict.fromkeys(mastered or [], 1.0)
    for n, s in enumerate(graph.closure(goals, done), start=1):
        console.print(f"{n:3d}. {s}", highlight=False)


STATUS_ORDER = ("new", "reversed", "implied", "in_graph", "unknown_skill")


@app.command("mine")
def mine(
    source: Annotated[
        str | None, typer.Option(help="Only events of this source (e.g. assist2009_pid).")
    ] = None,
    max_learners: Annotated[
        int | None, typer.Option(min=1, help="Mine a seeded sample of this many learners.")
    ] = None,
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="BKT mastery counted as mastered.")
    ] = MinerParams.threshold,
    max_violation: Annotated[
        float,
        typer.Option(
            max=1.0, help="Largest share of dependent-mastered snapshots without the prerequisite."
        ),
    ] = MinerParams.max_violation,
    min_support: Annotated[
        int,
        typer.Option(
            min=1, help="Snapshots with the dependent mastered and the prerequisite practised."
        ),
    ] = MinerParams.min_support,
    snapshot_every: Annotated[
        int, typer.Option(min=1, help="Answers between two mastery snapshots.")
    ] = MinerParams.snapshot_every,
    out: Annotated[Path | None, typer.Option(help="Write the mined edges as JSON.")] = None,
    apply: Annotated[
        bool, typer.Option(help=f"Add the new edges to the graph (source {MINED_SOURCE!r}).")
    ] = False,
    show: Annotated[int, typer.Option(min=0, help="Edges listed in the table.")] = 40,
) -> None:
    """Mine prerequisites from the lake's graded answers and compare them with the graph."""
    from pipelines.prerequisites import answer_histories, mine_answers, read_graded_answers

    settings = get_settings()
    params = MinerParams(threshold, max_violation, min_support, snapshot_every)
    with console.status("reading graded answers from the lake") as status:
        rows = read_graded_answers(
            lake_from_settings(settings), source=source, max_learners=max_learners
        )
        data = answer_histories(rows)
        result = mine_answers(data, params, on_stage=status.update)
    graph = skill_graph_from_settings(settings)
    reviewed = sorted(
        review_against(graph, result.edges),
        key=lambda r: (STATUS_ORDER.index(r.status), r.edge.violation, -r.edge.support),
    )
    table = wrapping_table("prerequisite", "dependent", "evidence", "violation", "support", "graph")
    for r in reviewed[:show]:
        e = r.edge
        violation = f"{e.violation:.3f}" if e.evidence == "precedence" else "-"
        label = r.status.replace("_", " ")
        table.add_row(e.prerequisite, e.dependent, e.evidence, violation, str(e.support), label)
    if reviewed and show:
        console.print(table)
    if 0 < show < len(reviewed):
        console.print(f"… and {len(reviewed) - show} more (all of them with --out FILE)")
    counts = Counter(r.status for r in reviewed)
    console.print(
        f"mined {len(reviewed)} prerequisites from {result.answers} answers of "
        f"{result.learners} learners over {result.skills} skills: "
        + ", ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in STATUS_ORDER),
        highlight=False,
    )
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(mining_report(result, reviewed), indent=2) + "\n")
        console.print(f"wrote {out}")
    if apply:
        added = add_new_edges(graph, reviewed)
        graph.save()
        console.print(f"added {added} new prerequisites (source {MINED_SOURCE!r}) to the graph")


def mining_report(result: MiningResult, reviewed: list[ReviewedEdge]) -> dict[str, Any]:
    """The JSON form of a mining run (``graph mine --out``)."""
    return {
        "params": asdict(result.params),
        "learners": result.learners,
        "answers": result.answers,
        "skills": result.skills,
        "edges": [asdict(r.edge) | {"graph": r.status} for r in reviewed],
    }
