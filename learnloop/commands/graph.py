"""``learnloop graph``: seed, inspect and query the skill prerequisite graph."""

from __future__ import annotations

from typing import Annotated

import typer

from knowledge_graph.base import SkillGraph
from knowledge_graph.factory import open_skill_graph
from learnloop.console import console, wrapping_table
from learnloop.resources import datasets_dir
from learnloop.settings import Settings, get_settings

app = typer.Typer(
    help="Skill graph: seed from course plans, show, plan prerequisites.", no_args_is_help=True
)


def graph_from_settings(settings: Settings) -> SkillGraph:
    """The configured backend (``LEARNLOOP_GRAPH__BACKEND``: networkx file or Neo4j)."""
    g = settings.graph
    password = g.neo4j_password.get_secret_value() if g.neo4j_password else None
    return open_skill_graph(
        g.backend,
        path=settings.graph_path,
        uri=g.neo4j_uri,
        user=g.neo4j_user,
        password=password,
        database=g.neo4j_database,
    )


@app.command("seed")
def seed(
    course: Annotated[
        list[str] | None, typer.Option(help="Only these courses (repeatable).")
    ] = None,
    reset: Annotated[bool, typer.Option(help="Clear the graph first.")] = False,
) -> None:
    """Seed skills, prerequisites and content tags from the content pack's course plans."""
    from features.datasets.content_pack import ContentPack
    from knowledge_graph.seed import seed_from_courses

    settings = get_settings()
    pack = ContentPack(datasets_dir(settings) / "content")
    courses = [pack.course(name) for name in course] if course else pack.courses
    graph = graph_from_settings(settings)
    if reset:
        graph.clear()
    with console.status("seeding the skill graph"):
        problem_skills = {p.id: p.skills for p in pack.iter_problems()}
        report = seed_from_courses(graph, courses, problem_skills=problem_skills)
    console.print(
        f"seeded {report.courses} courses: {report.skills} skills, {report.prerequisites} "
        f"prerequisites, {report.content} content items; {len(report.refused_cycles)} edges "
        "refused (would close a cycle across course plans)"
    )


@app.command("show")
def show(
    skill: Annotated[str | None, typer.Argument(help="A skill id; omit for totals.")] = None,
) -> None:
    """Totals of the graph, or one skill's prerequisites, dependents and content."""
    graph = graph_from_settings(get_settings())
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
    graph = graph_from_settings(get_settings())
    done = dict.fromkeys(mastered or [], 1.0)
    for n, s in enumerate(graph.closure(goals, done), start=1):
        console.print(f"{n:3d}. {s}", highlight=False)
