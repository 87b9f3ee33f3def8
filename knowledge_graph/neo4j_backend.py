"""Neo4j backend through the official driver; every statement is in :mod:`knowledge_graph.cypher`.

Each public method runs in one managed transaction (``execute_read`` / ``execute_write``). A
new edge's transaction first takes the write lock of one shared ``GraphLock`` node, so its cycle
check and ``MERGE`` cannot interleave with another writer's (under read-committed isolation two
transactions adding ``a -> b`` and ``b -> a`` could otherwise both pass the check). Values
travel as parameters only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, TypeVar

import networkx as nx

from knowledge_graph import cypher
from knowledge_graph.base import GraphSummary, Prerequisite, Skill, SkillGraph
from knowledge_graph.errors import (
    CycleError,
    UnknownSkillError,
    check_edge,
    check_id,
)

T = TypeVar("T")
Rows = list[dict[str, Any]]


class _Tx(Protocol):
    def run(self, query: str, parameters: dict[str, Any] | None = None) -> Any: ...


def _rows(tx: _Tx, query: str, **params: Any) -> Rows:
    return list(tx.run(query, params).data())


class Neo4jSkillGraph(SkillGraph):
    """Skill graph stored in Neo4j.

    Parameters
    ----------
    driver : neo4j.Driver
        An open driver (see :meth:`connect`); the graph does not close it unless it made it.
    database : str, optional
        Database name (default: the server's default database).
    """

    def __init__(self, driver: Any, *, database: str | None = None) -> None:
        self._driver = driver
        self._database = database
        self._owns_driver = False

    @classmethod
    def connect(
        cls, uri: str, *, user: str, password: str, database: str | None = None
    ) -> Neo4jSkillGraph:
        """Open a driver, check connectivity and create the uniqueness constraints."""
        import neo4j

        driver = neo4j.GraphDatabase.driver(uri, auth=(user, password))
        driver.verify_connectivity()
        graph = cls(driver, database=database)
        graph._owns_driver = True
        graph.ensure_schema()
        return graph

    def close(self) -> None:
        """Close the driver if :meth:`connect` opened it."""
        if self._owns_driver:
            self._driver.close()

    def ensure_schema(self) -> None:
        """Create the ``Skill.id`` / ``Content.id`` uniqueness constraints (idempotent)."""
        for statement in cypher.SCHEMA:

            def create(tx: _Tx, query: str = statement) -> Rows:
                return _rows(tx, query)

            self._write(create)

    # ------------------------------------------------------------------ writes
    def add_skills(self, skills: Iterable[Skill | str]) -> None:
        rows = []
        for item in skills:
            skill = Skill(item) if isinstance(item, str) else item
            check_id(skill.id)
            rows.append({"id": skill.id, "props": skill.properties()})
        if rows:
            self._write(lambda tx: _rows(tx, cypher.MERGE_SKILLS, rows=rows))

    def add_prerequisite(
        self, prerequisite: str, dependent: str, *, source: str = "manual", weight: float = 1.0
    ) -> None:
        check_edge(prerequisite, dependent)
        params = {"prerequisite": prerequisite, "dependent": dependent}

        def work(tx: _Tx) -> list[str] | None:
            _rows(tx, cypher.LOCK_PREREQUISITES)  # serialise check-then-merge across writers
            found = _rows(tx, cypher.FIND_PATH, **params)
            if found:
                return list(found[0]["path"])
            _rows(tx, cypher.MERGE_PREREQUISITE, **params, source=source, weight=float(weight))
            return None

        path = self._write(work)
        if path is not None:
            raise CycleError(prerequisite, dependent, [*path, dependent])

    def remove_prerequisite(self, prerequisite: str, dependent: str) -> None:
        self._write(
            lambda tx: _rows(
                tx, cypher.DELETE_PREREQUISITE, prerequisite=prerequisite, dependent=dependent
            )
        )

    def tag_content(self, content_id: str, skills: Iterable[str]) -> None:
        check_id(content_id)
        skills = list(dict.fromkeys(skills))
        for skill in skills:
            check_id(skill)
        self._write(
            lambda tx: _rows(tx, cypher.MERGE_CONTENT_TAGS, content=content_id, skills=skills)
        )

    def clear(self) -> None:
        self._write(lambda tx: _rows(tx, cypher.CLEAR))

    # ------------------------------------------------------------------ reads
    def skills(self) -> list[str]:
        return [r["id"] for r in self._read(lambda tx: _rows(tx, cypher.ALL_SKILLS))]

    def skill(self, skill: str) -> Skill:
        found = self._read(lambda tx: _rows(tx, cypher.SKILL, id=skill))
        if not found:
            raise UnknownSkillError(skill, self.skills())
        row = found[0]
        return Skill(skill, name=row.get("name"), mastery_threshold=row.get("mastery_threshold"))

    def prerequisite_edges(self) -> list[Prerequisite]:
        rows = self._read(lambda tx: _rows(tx, cypher.ALL_PREREQUISITES))
        return [
            Prerequisite(
                r["prerequisite"],
                r["dependent"],
                r.get("source") or "manual",
                float(r["weight"]) if r.get("weight") is not None else 1.0,
            )
            for r in rows
        ]

    def prerequisites(self, skill: str) -> list[str]:
        return self._neighbours(cypher.PREREQUISITES, skill)

    def dependents(self, skill: str) -> list[str]:
        return self._neighbours(cypher.DEPENDENTS, skill)

    def ancestors(self, skill: str) -> set[str]:
        return set(self._neighbours(cypher.ANCESTORS, skill))

    def ancestor_subgraph(self, goals: Iterable[str]) -> nx.DiGraph:
        goals = list(dict.fromkeys(goals))
        self._require(goals)
        rows = self._read(lambda tx: _rows(tx, cypher.ANCESTOR_SUBGRAPH, goals=goals))
        graph = nx.DiGraph()
        for row in rows:
            attrs = {"mastery_threshold": row["mastery_threshold"]}
            graph.add_node(row["id"], **{k: v for k, v in attrs.items() if v is not None})
        for row in rows:
            graph.add_edges_from((p, row["id"]) for p in row["prerequisites"] if p is not None)
        return graph

    def content_for(self, skill: str) -> list[str]:
        return self._neighbours(cypher.CONTENT_FOR, skill)

    def skills_for(self, content_id: str) -> list[str]:
        return [r["id"] for r in self._read(lambda tx: _rows(tx, cypher.SKILLS_FOR, id=content_id))]

    def frontier(
        self, mastery: Mapping[str, float], *, threshold: float | None = None
    ) -> list[str]:
        params = {
            "mastery": {str(k): float(v) for k, v in mastery.items()},
            "threshold": threshold,
            "default_threshold": self.default_threshold,
        }
        return [r["id"] for r in self._read(lambda tx: _rows(tx, cypher.FRONTIER, **params))]

    def to_networkx(self) -> nx.DiGraph:
        def work(tx: _Tx) -> tuple[Rows, Rows]:
            return _rows(tx, cypher.ALL_SKILL_NODES), _rows(tx, cypher.ALL_PREREQUISITES)

        nodes, edges = self._read(work)
        graph = nx.DiGraph()
        for row in nodes:
            attrs = {k: row.get(k) for k in ("name", "mastery_threshold")}
            graph.add_node(row["id"], **{k: v for k, v in attrs.items() if v is not None})
        for row in edges:
            graph.add_edge(
                row["prerequisite"],
                row["dependent"],
                source=row.get("source") or "manual",
                weight=float(row["weight"]) if row.get("weight") is not None else 1.0,
            )
        return graph

    def summary(self) -> GraphSummary:
        def work(tx: _Tx) -> GraphSummary:
            sources = Counter({r["source"]: int(r["n"]) for r in _rows(tx, cypher.COUNT_BY_SOURCE)})
            return GraphSummary(
                skills=int(_rows(tx, cypher.COUNT_SKILLS)[0]["n"]),
                prerequisites=sum(sources.values()),
                content=int(_rows(tx, cypher.COUNT_CONTENT)[0]["n"]),
                roots=int(_rows(tx, cypher.COUNT_ROOTS)[0]["n"]),
                sources=dict(sorted(sources.items())),
            )

        return self._read(work)

    # ------------------------------------------------------------------ internals
    def _neighbours(self, query: str, skill: str) -> list[str]:
        def work(tx: _Tx) -> list[str] | None:
            if not _rows(tx, cypher.SKILL, id=skill):
                return None
            return [r["id"] for r in _rows(tx, query, id=skill)]

        found = self._read(work)
        if found is None:
            raise UnknownSkillError(skill, self.skills())
        return found

    def _require(self, skills: list[str]) -> None:
        missing = self._read(lambda tx: _rows(tx, cypher.MISSING_SKILLS, ids=skills))[0]["missing"]
        if missing:
            raise UnknownSkillError(missing[0], self.skills())

    def _read(self, work: Callable[[_Tx], T]) -> T:
        with self._driver.session(database=self._database) as session:
            return session.execute_read(work)

    def _write(self, work: Callable[[_Tx], T]) -> T:
        with self._driver.session(database=self._database) as session:
            return session.execute_write(work)
