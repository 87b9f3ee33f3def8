"""Build a :class:`SkillGraph` backend by name (the settings layer passes its values here)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from knowledge_graph.base import SkillGraph
from knowledge_graph.errors import GraphError

Backend = Literal["networkx", "neo4j"]
BACKENDS: tuple[str, ...] = ("networkx", "neo4j")


def open_skill_graph(
    backend: str = "networkx",
    *,
    path: Path | str | None = None,
    uri: str | None = None,
    user: str = "neo4j",
    password: str | None = None,
    database: str | None = None,
) -> SkillGraph:
    """Open the configured backend.

    ``networkx`` loads ``path`` if it exists (and :meth:`SkillGraph.save` writes it back);
    ``neo4j`` connects to ``uri`` with ``user``/``password`` and ensures the constraints.
    """
    if backend == "networkx":
        from knowledge_graph.networkx_backend import NetworkXSkillGraph

        return NetworkXSkillGraph(path)
    if backend == "neo4j":
        if not uri or password is None:
            raise GraphError("the neo4j backend needs a uri and a password")
        from knowledge_graph.neo4j_backend import Neo4jSkillGraph

        return Neo4jSkillGraph.connect(uri, user=user, password=password, database=database)
    raise GraphError(f"unknown skill graph backend {backend!r}; allowed: {', '.join(BACKENDS)}")
