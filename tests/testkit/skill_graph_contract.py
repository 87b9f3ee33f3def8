"""Behaviour every SkillGraph backend must have; subclass and provide a ``graph`` fixture."""

from __future__ import annotations

import networkx as nx
import pytest

from knowledge_graph.base import Prerequisite, Skill, SkillGraph
from knowledge_graph.errors import CycleError, UnknownSkillError

# fractions -> ratios -> percentages; fractions -> decimals -> percentages; algebra alone
EDGES = [
    ("fractions", "ratios"),
    ("ratios", "percentages"),
    ("fractions", "decimals"),
    ("decimals", "percentages"),
]


def build(graph: SkillGraph) -> SkillGraph:
    graph.add_skills([Skill("fractions", name="Fractions", mastery_threshold=0.8), "algebra"])
    for p, d in EDGES:
        graph.add_prerequisite(p, d, source="seed")
    graph.tag_content("p1", ["ratios"])
    graph.tag_content("p2", ["ratios", "fractions"])
    return graph


class SkillGraphContract:
    """Run with a ``graph`` fixture yielding an empty backend."""

    def test_add_skills_and_edges_roundtrip(self, graph: SkillGraph) -> None:
        build(graph)
        assert graph.skills() == ["algebra", "decimals", "fractions", "percentages", "ratios"]
        assert graph.skill("fractions") == Skill("fractions", "Fractions", 0.8)
        assert [(e.prerequisite, e.dependent) for e in graph.prerequisite_edges()] == sorted(EDGES)
        assert graph.prerequisite_edges()[0] == Prerequisite("decimals", "percentages", "seed", 1.0)
        assert graph.prerequisites("percentages") == ["decimals", "ratios"]
        assert graph.dependents("fractions") == ["decimals", "ratios"]
        assert graph.ancestors("percentages") == {"fractions", "ratios", "decimals"}

    def test_writes_are_idempotent(self, graph: SkillGraph) -> None:
        build(graph)
        build(graph)
        assert len(graph.prerequisite_edges()) == len(EDGES)
        assert graph.summary().content == 2
        assert graph.skills_for("p2") == ["fractions", "ratios"]

    def test_updating_a_skill_keeps_attributes_not_given(self, graph: SkillGraph) -> None:
        build(graph)
        graph.add_skill(Skill("fractions", name="Fractions 101"))
        assert graph.skill("fractions") == Skill("fractions", "Fractions 101", 0.8)

    def test_cycle_is_refused_naming_the_cycle(self, graph: SkillGraph) -> None:
        build(graph)
        with pytest.raises(CycleError) as caught:
            graph.add_prerequisite("percentages", "fractions")
        cycle = caught.value.cycle
        assert cycle[0] == "fractions" and cycle[-1] == "fractions"
        assert "percentages" in cycle and "fractions -> " in str(caught.value)
        assert not graph.has_skill("missing")
        assert len(graph.prerequisite_edges()) == len(EDGES)

    def test_self_loop_is_a_cycle(self, graph: SkillGraph) -> None:
        with pytest.raises(CycleError):
            graph.add_prerequisite("algebra", "algebra")

    def test_add_prerequisites_reports_refused_edges(self, graph: SkillGraph) -> None:
        build(graph)
        refused = graph.add_prerequisites(
            [Prerequisite("algebra", "ratios"), Prerequisite("percentages", "ratios")]
        )
        assert refused == [Prerequisite("percentages", "ratios")]
        assert "algebra" in graph.prerequisites("ratios")

    def test_remove_prerequisite(self, graph: SkillGraph) -> None:
        build(graph)
        graph.remove_prerequisite("ratios", "percentages")
        graph.remove_prerequisite("ratios", "percentages")  # absent: no error
        assert graph.prerequisites("percentages") == ["decimals"]

    def test_unknown_skill_suggests_near_matches(self, graph: SkillGraph) -> None:
        build(graph)
        with pytest.raises(
            UnknownSkillError, match=r"unknown skill 'fractoins'; did you mean: fractions"
        ):
            graph.prerequisites("fractoins")
        with pytest.raises(UnknownSkillError):
            graph.closure(["nope"])

    def test_content_tags(self, graph: SkillGraph) -> None:
        build(graph)
        assert graph.content_for("ratios") == ["p1", "p2"]
        assert graph.skills_for("unknown-item") == []

    def test_topological_order_respects_every_edge(self, graph: SkillGraph) -> None:
        build(graph)
        order = graph.topological_order()
        assert sorted(order) == graph.skills()
        assert all(order.index(p) < order.index(d) for p, d in EDGES)
        assert graph.topological_order(["percentages", "fractions"]) == ["fractions", "percentages"]

    def test_frontier_uses_thresholds(self, graph: SkillGraph) -> None:
        build(graph)
        assert graph.frontier({}) == ["algebra", "fractions"]
        # fractions' own threshold is 0.8; the default (0.85) applies to the others
        assert graph.frontier({"fractions": 0.82}) == ["algebra", "decimals", "ratios"]
        assert graph.frontier({"fractions": 0.82}, threshold=0.9) == ["algebra", "fractions"]

    def test_closure_stops_at_mastered_skills(self, graph: SkillGraph) -> None:
        build(graph)
        assert graph.closure(["percentages"]) == ["fractions", "decimals", "ratios", "percentages"]
        assert graph.closure(["percentages"], {"ratios": 1.0}) == [
            "fractions",
            "decimals",
            "percentages",
        ]
        assert graph.closure(["percentages"], {"ratios": 1.0, "decimals": 1.0}) == ["percentages"]
        assert graph.closure(["percentages"], {"percentages": 1.0}) == []

    def test_ancestor_subgraph_and_snapshot(self, graph: SkillGraph) -> None:
        build(graph)
        sub = graph.ancestor_subgraph(["ratios"])
        assert set(sub.nodes) == {"fractions", "ratios"} and list(sub.edges) == [
            ("fractions", "ratios")
        ]
        snapshot = graph.to_networkx()
        assert nx.is_directed_acyclic_graph(snapshot) and snapshot.number_of_edges() == len(EDGES)
        assert graph.prerequisite_map()["percentages"] == ["decimals", "ratios"]

    def test_summary_and_clear(self, graph: SkillGraph) -> None:
        build(graph)
        summary = graph.summary()
        assert (summary.skills, summary.prerequisites, summary.content, summary.roots) == (
            5,
            4,
            2,
            2,
        )
        assert summary.sources == {"seed": 4}
        graph.clear()
        assert graph.skills() == [] and graph.summary().prerequisites == 0
