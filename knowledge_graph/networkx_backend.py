"""In-process backend: a ``networkx.DiGraph`` persisted to a JSON file (the local default)."""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import networkx as nx

from knowledge_graph.base import GraphSummary, Prerequisite, Skill, SkillGraph
from knowledge_graph.errors import (
    CycleError,
    GraphError,
    UnknownSkillError,
    check_edge,
    check_id,
)

FORMAT = "learnloop.skill_graph/1"


class NetworkXSkillGraph(SkillGraph):
    """Skill graph held in memory; :meth:`save` writes it atomically to ``path``.

    Parameters
    ----------
    path : Path, optional
        JSON file to load from (if it exists) and to save to. ``None`` keeps it in memory.
    """

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self._graph = nx.DiGraph()
        self._content: dict[str, set[str]] = {}
        if self.path is not None and self.path.is_file():
            self._read(self.path)

    # ------------------------------------------------------------------ writes
    def add_skills(self, skills: Iterable[Skill | str]) -> None:
        for item in skills:
            skill = Skill(item) if isinstance(item, str) else item
            check_id(skill.id)
            if skill.id in self._graph:
                self._graph.nodes[skill.id].update(skill.properties())
            else:
                self._graph.add_node(skill.id, **skill.properties())

    def add_prerequisite(
        self, prerequisite: str, dependent: str, *, source: str = "manual", weight: float = 1.0
    ) -> None:
        check_edge(prerequisite, dependent)
        if dependent in self._graph and prerequisite in self._graph:
            try:
                path = nx.shortest_path(self._graph, dependent, prerequisite)
            except nx.NetworkXNoPath:
                path = None
            if path is not None:
                raise CycleError(prerequisite, dependent, [*path, dependent])
        for skill in (prerequisite, dependent):
            if skill not in self._graph:
                self._graph.add_node(skill)
        self._graph.add_edge(prerequisite, dependent, source=source, weight=float(weight))

    def remove_prerequisite(self, prerequisite: str, dependent: str) -> None:
        if self._graph.has_edge(prerequisite, dependent):
            self._graph.remove_edge(prerequisite, dependent)

    def tag_content(self, content_id: str, skills: Iterable[str]) -> None:
        check_id(content_id)
        skills = list(skills)
        for skill in skills:
            check_id(skill)
            if skill not in self._graph:
                self._graph.add_node(skill)
        self._content.setdefault(content_id, set()).update(skills)

    def clear(self) -> None:
        self._graph.clear()
        self._content.clear()

    def save(self) -> None:
        """Write the graph to :attr:`path` (atomic replace); no-op for an in-memory graph."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": FORMAT,
            "skills": [{"id": s, **data} for s, data in sorted(self._graph.nodes(data=True))],
            "prerequisites": [
                {
                    "prerequisite": e.prerequisite,
                    "dependent": e.dependent,
                    "source": e.source,
                    "weight": e.weight,
                }
                for e in self.prerequisite_edges()
            ],
            "content": {c: sorted(s) for c, s in sorted(self._content.items())},
        }
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".skill-graph-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=1, sort_keys=True)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(self.path)

    # ------------------------------------------------------------------ reads
    def skills(self) -> list[str]:
        return sorted(self._graph.nodes)

    def skill(self, skill: str) -> Skill:
        self._require(skill)
        data = self._graph.nodes[skill]
        return Skill(skill, name=data.get("name"), mastery_threshold=data.get("mastery_threshold"))

    def prerequisite_edges(self) -> list[Prerequisite]:
        return sorted(
            Prerequisite(p, d, data.get("source", "manual"), float(data.get("weight", 1.0)))
            for p, d, data in self._graph.edges(data=True)
        )

    def prerequisites(self, skill: str) -> list[str]:
        self._require(skill)
        return sorted(self._graph.predecessors(skill))

    def dependents(self, skill: str) -> list[str]:
        self._require(skill)
        return sorted(self._graph.successors(skill))

    def ancestors(self, skill: str) -> set[str]:
        self._require(skill)
        return set(nx.ancestors(self._graph, skill))

    def ancestor_subgraph(self, goals: Iterable[str]) -> nx.DiGraph:
        keep: set[str] = set()
        for goal in goals:
            self._require(goal)
            keep |= nx.ancestors(self._graph, goal) | {goal}
        return self._graph.subgraph(keep).copy()

    def content_for(self, skill: str) -> list[str]:
        self._require(skill)
        return sorted(c for c, skills in self._content.items() if skill in skills)

    def skills_for(self, content_id: str) -> list[str]:
        return sorted(self._content.get(content_id, ()))

    def to_networkx(self) -> nx.DiGraph:
        return self._graph.copy()

    def summary(self) -> GraphSummary:
        sources = Counter(data.get("source", "manual") for *_, data in self._graph.edges(data=True))
        roots = sum(1 for s in self._graph if self._graph.in_degree(s) == 0)
        return GraphSummary(
            skills=self._graph.number_of_nodes(),
            prerequisites=self._graph.number_of_edges(),
            content=len(self._content),
            roots=roots,
            sources=dict(sorted(sources.items())),
        )

    # ------------------------------------------------------------------ internals
    def _require(self, skill: str) -> None:
        if skill not in self._graph:
            raise UnknownSkillError(skill, self._graph.nodes)

    def _read(self, path: Path) -> None:
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise GraphError(f"{path} is not a skill graph file: {exc}") from None
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            found = payload.get("format") if isinstance(payload, dict) else None
            raise GraphError(f"{path}: format {found!r} is not {FORMAT!r}")
        try:
            for node in payload["skills"]:
                self._graph.add_node(node.pop("id"), **node)
            for edge in payload["prerequisites"]:
                self._graph.add_edge(
                    edge["prerequisite"],
                    edge["dependent"],
                    source=edge.get("source", "manual"),
                    weight=float(edge.get("weight", 1.0)),
                )
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise GraphError(f"{path}: malformed skill graph file ({exc!r})") from None
        try:
            loop = nx.find_cycle(self._graph)
        except nx.NetworkXNoCycle:
            loop = []
        if loop:
            cycle = [u for u, _ in loop] + [loop[0][0]]
            raise GraphError(f"{path}: prerequisites contain a cycle: " + " -> ".join(cycle))
        self._content = {c: set(s) for c, s in payload.get("content", {}).items()}
