"""``learnloop graph``: seed, inspect and query the skill prerequisite graph."""

from __future__ import annotations

from typing import Annotated

import typer

from learnloop.console import console, wrapping_table
from learnloop.resources import datasets_dir, seed_from_pack, skill_graph_from_settings
from learnloop.settings import get_settings

app = typer.Typer(
    help="Skill graph: seed from course plans, show, plan prerequisites.", no_args_is_help=True
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
        console.print(
            f"{s.skills} skills ({s.roots} roots), {s.prerequisites} prerequisites "
            f"{s.sources}, {s.content} content items"
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
