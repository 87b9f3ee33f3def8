"""Prerequisite mining on data generated from a known DAG."""

from __future__ import annotations

import networkx as nx
import numpy as np

from knowledge_graph.base import Prerequisite
from knowledge_graph.mining import (
    MinedEdge,
    add_new_edges,
    co_tag_counts,
    mine_prerequisites,
    review_against,
    score_edges,
    violation_rates,
)
from knowledge_graph.networkx_backend import NetworkXSkillGraph

TRUE = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("d", "e")]
SKILLS = ["a", "b", "c", "d", "e"]


def consistent_mastery(n: int = 600, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """Learner snapshots where a skill is mastered only if its prerequisites are."""
    rng = np.random.default_rng(seed)
    graph = nx.DiGraph(TRUE)
    out = np.zeros((n, len(SKILLS)))
    for row in range(n):
        level = rng.random(len(SKILLS))
        for j, s in enumerate(SKILLS):  # SKILLS is a topological order
            cap = min((out[row, SKILLS.index(p)] for p in graph.predecessors(s)), default=1.0)
            out[row, j] = min(level[j] + 0.3, cap)
    flip = rng.random(out.shape) < noise
    return np.where(flip, 1.0 - out, out)


def test_violation_rates_are_zero_for_true_prerequisites() -> None:
    rates, support = violation_rates(consistent_mastery() >= 0.7)
    index = {s: i for i, s in enumerate(SKILLS)}
    assert all(rates[index[p], index[d]] == 0 for p, d in TRUE)
    assert rates[index["b"], index["c"]] > 0.2 and support.min() > 20


def test_mining_recovers_the_direct_edges() -> None:
    edges = mine_prerequisites(SKILLS, consistent_mastery(), max_violation=0.02)
    scores = score_edges([(e.prerequisite, e.dependent) for e in edges], TRUE)
    assert scores.f1 == 1.0, edges  # ancestors like a -> d are removed by transitive reduction


def test_mining_tolerates_some_noise() -> None:
    edges = mine_prerequisites(SKILLS, consistent_mastery(noise=0.02), max_violation=0.1)
    assert score_edges([(e.prerequisite, e.dependent) for e in edges], TRUE).f1 >= 0.8


def test_co_tags_give_edges_oriented_by_mastery() -> None:
    mastery = consistent_mastery()
    edges = mine_prerequisites(
        SKILLS, mastery, item_skills=[["e", "d"], ["e", "d"]], max_violation=-1.0
    )
    assert [(e.prerequisite, e.dependent, e.evidence, e.support) for e in edges] == [
        ("d", "e", "co_tag", 2)
    ]
    assert co_tag_counts([["a", "b"], ["b", "a", "a"], ["c"]]) == {frozenset("ab"): 2}


def test_mined_graph_is_always_acyclic() -> None:
    rng = np.random.default_rng(1)
    edges = mine_prerequisites(SKILLS, rng.random((300, 5)), max_violation=0.6, min_support=1)
    graph = nx.DiGraph([(e.prerequisite, e.dependent) for e in edges])
    assert nx.is_directed_acyclic_graph(graph)


def test_unpractised_skills_are_no_evidence() -> None:
    """Two cohorts: one practises a..e, the other only z. Filled with a high prior, z looks
    mastered by the whole first cohort and so a prerequisite of its root; left out, it is not."""
    first = consistent_mastery()
    rng = np.random.default_rng(2)
    z_levels = rng.random(300)
    unpractised = np.column_stack([first, np.full(len(first), np.nan)])
    unpractised = np.vstack(
        [unpractised, np.column_stack([np.full((300, len(SKILLS)), np.nan), z_levels])]
    )
    skills = [*SKILLS, "z"]
    edges = mine_prerequisites(skills, unpractised, max_violation=0.02)
    assert {(e.prerequisite, e.dependent) for e in edges} == set(TRUE)
    prior_filled = np.where(np.isnan(unpractised), 0.0, unpractised)
    prior_filled[: len(first), -1] = 0.95  # z's prior for the cohort that never saw it
    filled = mine_prerequisites(skills, prior_filled, max_violation=0.02)
    assert ("z", "a") in {(e.prerequisite, e.dependent) for e in filled}


def test_violation_rates_count_only_observed_prerequisites() -> None:
    mastered = np.array([[True, True], [False, True], [False, True], [True, False]])
    observed = np.array([[True, True], [True, True], [False, True], [True, True]])
    rates, support = violation_rates(mastered, observed)
    assert support[0, 1] == 2 and rates[0, 1] == 0.5  # row 2: a unobserved, not a violation
    assert support[1, 0] == 2 and rates[1, 0] == 0.5


def test_review_against_the_graph_and_add_the_new_edges() -> None:
    graph = NetworkXSkillGraph()
    graph.add_prerequisite("a", "b", source="seed")
    graph.add_prerequisite("b", "c", source="seed")
    graph.add_skills(["d", "e"])
    mined = [("a", "b"), ("a", "c"), ("c", "a"), ("d", "e"), ("e", "d"), ("x", "a")]
    reviewed = review_against(graph, [MinedEdge(p, d, "precedence", 0.0, 30) for p, d in mined])
    assert [r.status for r in reviewed] == [
        "in_graph",
        "implied",
        "reversed",
        "new",
        "new",
        "unknown_skill",
    ]
    assert add_new_edges(graph, reviewed) == 1  # e -> d would close a cycle with d -> e
    assert Prerequisite("d", "e", "mined") in graph.prerequisite_edges()
    assert not graph.has_skill("x") and len(graph.prerequisite_edges()) == 3


def test_score_edges() -> None:
    s = score_edges([("a", "b"), ("x", "y")], [("a", "b"), ("b", "c")])
    assert (s.precision, s.recall, s.f1, s.predicted, s.true) == (0.5, 0.5, 0.5, 2, 2)
    assert score_edges([], []).f1 == 0.0
