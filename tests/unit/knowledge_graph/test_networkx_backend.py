"""The networkx backend: the shared contract plus file persistence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testkit.skill_graph_contract import SkillGraphContract, build

from knowledge_graph.errors import GraphError
from knowledge_graph.factory import open_skill_graph
from knowledge_graph.networkx_backend import FORMAT, NetworkXSkillGraph


class TestNetworkXContract(SkillGraphContract):
    @pytest.fixture
    def graph(self) -> NetworkXSkillGraph:
        return NetworkXSkillGraph()


def test_save_and_reload_gives_the_same_graph(tmp_path: Path) -> None:
    path = tmp_path / "graph" / "skills.json"
    graph = build(NetworkXSkillGraph(path))
    graph.save()
    again = NetworkXSkillGraph(path)
    assert again.prerequisite_edges() == graph.prerequisite_edges()
    assert again.skill("fractions") == graph.skill("fractions")
    assert again.content_for("ratios") == ["p1", "p2"]


def test_in_memory_graph_save_is_a_no_op() -> None:
    build(NetworkXSkillGraph()).save()


def test_corrupt_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "skills.json"
    path.write_text("{not json")
    with pytest.raises(GraphError, match="is not a skill graph file"):
        NetworkXSkillGraph(path)
    path.write_text('{"format": "other"}')
    with pytest.raises(GraphError, match="format 'other'"):
        NetworkXSkillGraph(path)
    path.write_text("[1, 2]")
    with pytest.raises(GraphError, match="format None"):
        NetworkXSkillGraph(path)
    path.write_text(json.dumps({"format": FORMAT, "prerequisites": []}))
    with pytest.raises(GraphError, match=r"malformed skill graph file \(KeyError\('skills'\)\)"):
        NetworkXSkillGraph(path)


def test_a_hand_edited_file_with_a_cycle_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "skills.json"
    edges = [("a", "b"), ("b", "c"), ("c", "a")]
    payload = {
        "format": FORMAT,
        "skills": [{"id": s} for s in "abc"],
        "prerequisites": [{"prerequisite": p, "dependent": d} for p, d in edges],
    }
    path.write_text(json.dumps(payload))
    with pytest.raises(GraphError, match=r"prerequisites contain a cycle: a -> b -> c -> a"):
        NetworkXSkillGraph(path)


def test_factory_opens_the_backend_by_name(tmp_path: Path) -> None:
    assert isinstance(open_skill_graph("networkx", path=tmp_path / "g.json"), NetworkXSkillGraph)
    with pytest.raises(
        GraphError, match="unknown skill graph backend 'redis'; allowed: networkx, neo4j"
    ):
        open_skill_graph("redis")
    with pytest.raises(GraphError, match="needs a uri and a password"):
        open_skill_graph("neo4j")


def test_empty_ids_are_rejected() -> None:
    graph = NetworkXSkillGraph()
    with pytest.raises(GraphError, match="non-empty strings"):
        graph.add_prerequisite(" ", "a")
