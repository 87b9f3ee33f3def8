"""The ``SkillGraph`` interface: skills, prerequisite edges, content tags and graph queries.

Edges point from a prerequisite to the skill that depends on it (``A -> B``: learn A before B).
Backends implement the primitive reads and writes; the derived queries (frontier, closure,
topological order) are written once here on top of :meth:`SkillGraph.ancestor_subgraph` and
:meth:`SkillGraph.to_networkx`, and a backend may push them down to its store.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from knowledge_graph.errors import UnknownSkillError

DEFAULT_MASTERY_THRESHOLD = 0.85


@dataclass(frozen=True)
class Skill:
    """A skill node: id plus optional display name and mastery threshold."""

    id: str
    name: str | None = None
    mastery_threshold: float | None = None

    def properties(self) -> dict[str, Any]:
        """Non-null attributes other than the id (what a backend stores)."""
        props: dict[str, Any] = {"name": self.name, "mastery_threshold": self.mastery_threshold}
        return {k: v for k, v in props.items() if v is not None}


@dataclass(frozen=True, order=True)
class Prerequisite:
    """A prerequisite edge with where it came from (``seed``, ``mined``, ``manual``)."""

    prerequisite: str
    dependent: str
    source: str = "manual"
    weight: float = 1.0


@dataclass(frozen=True)
class GraphSummary:
    """Counts for ``learnloop graph show`` and health checks."""

    skills: int
    prerequisites: int
    content: int
    roots: int
    sources: dict[str, int] = field(default_factory=dict)


class SkillGraph(ABC):
    """Skill prerequisite DAG with content tags. Writes are idempotent; cycles are refused."""

    default_threshold: float = DEFAULT_MASTERY_THRESHOLD

    # ------------------------------------------------------------------ writes
    @abstractmethod
    def add_skills(self, skills: Iterable[Skill | str]) -> None:
        """Create or update skills (an existing skill keeps attributes not given)."""

    @abstractmethod
    def add_prerequisite(
        self, prerequisite: str, dependent: str, *, source: str = "manual", weight: float = 1.0
    ) -> None:
        """Add ``prerequisite -> dependent`` (creating missing skills).

        Raises
        ------
        CycleError
            If ``dependent`` already leads to ``prerequisite`` (or they are equal).
        """

    @abstractmethod
    def remove_prerequisite(self, prerequisite: str, dependent: str) -> None:
        """Remove the edge if present."""

    @abstractmethod
    def tag_content(self, content_id: str, skills: Iterable[str]) -> None:
        """Tag a content item (problem, video...) with the skills it exercises."""

    @abstractmethod
    def clear(self) -> None:
        """Remove every skill, edge and content tag."""

    def save(self) -> None:  # noqa: B027 - optional hook
        """Persist pending changes (file backends); stores that write through do nothing."""

    def add_skill(self, skill: Skill | str) -> None:
        """Create or update one skill."""
        self.add_skills([skill])

    def add_prerequisites(self, edges: Iterable[Prerequisite]) -> list[Prerequisite]:
        """Add several edges; returns those refused because they would close a cycle."""
        from knowledge_graph.errors import CycleError

        refused = []
        for edge in edges:
            try:
                self.add_prerequisite(
                    edge.prerequisite, edge.dependent, source=edge.source, weight=edge.weight
                )
            except CycleError:
                refused.append(edge)
        return refused

    # ------------------------------------------------------------------ primitive reads
    @abstractmethod
    def skills(self) -> list[str]:
        """All skill ids, sorted."""

    @abstractmethod
    def skill(self, skill: str) -> Skill:
        """One skill; :class:`UnknownSkillError` (with near matches) if absent."""

    @abstractmethod
    def prerequisite_edges(self) -> list[Prerequisite]:
        """Every edge, sorted by (prerequisite, dependent)."""

    @abstractmethod
    def prerequisites(self, skill: str) -> list[str]:
        """Direct prerequisites of ``skill``, sorted."""

    @abstractmethod
    def dependents(self, skill: str) -> list[str]:
        """Skills that directly require ``skill``, sorted."""

    @abstractmethod
    def ancestors(self, skill: str) -> set[str]:
        """Every skill ``skill`` transitively depends on."""

    @abstractmethod
    def ancestor_subgraph(self, goals: Iterable[str]) -> nx.DiGraph:
        """The goals, all their ancestors and the edges among them (unknown goal: error)."""

    @abstractmethod
    def content_for(self, skill: str) -> list[str]:
        """Content ids tagged with ``skill``, sorted."""

    @abstractmethod
    def skills_for(self, content_id: str) -> list[str]:
        """Skills a content item is tagged with, sorted (empty if the item is unknown)."""

    @abstractmethod
    def to_networkx(self) -> nx.DiGraph:
        """A snapshot: skill nodes with their attributes and prerequisite edges."""

    @abstractmethod
    def summary(self) -> GraphSummary:
        """Counts of skills, edges (by source), content items and root skills."""

    def prerequisite_map(self) -> dict[str, list[str]]:
        """``{skill: [direct prerequisites]}`` for every skill (the form policies take)."""
        graph = self.to_networkx()
        return {s: sorted(graph.predecessors(s)) for s in sorted(graph)}

    def has_skill(self, skill: str) -> bool:
        """Whether ``skill`` exists."""
        try:
            self.skill(skill)
        except UnknownSkillError:
            return False
        return True

    # ------------------------------------------------------------------ derived queries
    def threshold_of(self, node: Mapping[str, Any], threshold: float | None) -> float:
        """Mastery threshold: the explicit one, else the skill's own, else the default."""
        if threshold is not None:
            return threshold
        own = node.get("mastery_threshold")
        return float(own) if own is not None else self.default_threshold

    def topological_order(self, skills: Iterable[str] | None = None) -> list[str]:
        """Skills in prerequisite order (ties broken by id, so the order is deterministic).

        With ``skills``, only those are returned, in the order the whole graph imposes.
        """
        graph = self.to_networkx()
        order = list(nx.lexicographical_topological_sort(graph))
        if skills is None:
            return order
        wanted = set(skills)
        for skill in wanted - set(graph):
            raise UnknownSkillError(skill, graph.nodes)
        return [s for s in order if s in wanted]

    def frontier(
        self, mastery: Mapping[str, float], *, threshold: float | None = None
    ) -> list[str]:
        """Unmastered skills whose direct prerequisites are all mastered (sorted).

        A skill is mastered when ``mastery[skill] >= threshold`` (default: the skill's own
        threshold); skills missing from ``mastery`` count as 0.
        """
        graph = self.to_networkx()
        done = {
            s
            for s, data in graph.nodes(data=True)
            if mastery.get(s, 0.0) >= self.threshold_of(data, threshold)
        }
        return sorted(
            s for s in graph if s not in done and all(p in done for p in graph.predecessors(s))
        )

    def closure(
        self,
        goals: Iterable[str],
        mastery: Mapping[str, float] | None = None,
        *,
        threshold: float | None = None,
    ) -> list[str]:
        """Shortest prerequisite closure: what must still be learned to reach ``goals``.

        Walks prerequisites back from each unmastered goal, stopping at mastered skills (their
        own prerequisites are not needed again); returns the skills in topological order.
        """
        mastery = mastery or {}
        goals = list(goals)
        sub = self.ancestor_subgraph(goals)

        def mastered(skill: str) -> bool:
            return mastery.get(skill, 0.0) >= self.threshold_of(sub.nodes[skill], threshold)

        needed: set[str] = set()
        stack = [g for g in goals if not mastered(g)]
        while stack:
            skill = stack.pop()
            if skill in needed:
                continue
            needed.add(skill)
            stack.extend(p for p in sub.predecessors(skill) if not mastered(p))
        return [s for s in nx.lexicographical_topological_sort(sub) if s in needed]
