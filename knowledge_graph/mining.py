"""Prerequisite mining from interaction data, and scoring against a known graph.

Two kinds of evidence, combined into one DAG:

* **Co-tags** — items tagged with two skills usually pair a skill with one it builds on; the
  pair is oriented from the more to the less mastered skill in the population.
* **Precedence** — if ``A`` is a prerequisite of ``B``, a learner who has mastered ``B`` has
  mastered ``A``. From per-learner mastery estimates at several moments (e.g. a KT model run
  over the logs; rows = learner × moment, columns = skills) the *violation rate*
  ``v(A, B) = #(B mastered, A not) / #(B mastered)`` is near 0 for prerequisites. Pairs with
  ``v(A, B) <= max_violation`` (and lower than ``v(B, A)``, enough support) are candidates.

Candidates are added strongest first while they keep the graph acyclic, then the transitive
reduction keeps direct edges only (``A -> C`` is dropped when ``A -> B -> C`` explains it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class MinedEdge:
    """A mined ``prerequisite -> dependent`` edge with its evidence and strength."""

    prerequisite: str
    dependent: str
    evidence: str  # "co_tag" or "precedence"
    violation: float
    support: int


@dataclass(frozen=True)
class EdgeScores:
    """Precision, recall and F1 of mined edges against the true ones."""

    precision: float
    recall: float
    f1: float
    predicted: int
    true: int


def co_tag_counts(item_skills: Iterable[Sequence[str]]) -> Counter[frozenset[str]]:
    """How many items carry each unordered pair of skills."""
    counts: Counter[frozenset[str]] = Counter()
    for skills in item_skills:
        distinct = list(dict.fromkeys(skills))
        for i, a in enumerate(distinct):
            for b in distinct[i + 1 :]:
                counts[frozenset((a, b))] += 1
    return counts


def violation_rates(mastered: npt.NDArray[np.bool_]) -> tuple[np.ndarray, np.ndarray]:
    """``(v, support)``: ``v[a, b] = #(b mastered, a not) / #(b mastered)``, ``support[b]``."""
    m = mastered.astype(np.float64)
    support = m.sum(axis=0)
    both = m.T @ m  # both[a, b] = #(a and b mastered)
    violations = support[None, :] - both
    rates = violations / np.maximum(support[None, :], 1.0)
    np.fill_diagonal(rates, np.inf)
    return rates, support.astype(np.int64)


def mine_prerequisites(
    skills: Sequence[str],
    mastery: npt.NDArray[np.floating] | None = None,
    *,
    item_skills: Iterable[Sequence[str]] = (),
    threshold: float = 0.7,
    max_violation: float = 0.05,
    min_support: int = 20,
) -> list[MinedEdge]:
    """Mine a prerequisite DAG over ``skills``.

    Parameters
    ----------
    skills : sequence of str
        Column names of ``mastery``.
    mastery : array of shape (n_observations, n_skills), optional
        Mastery estimates in [0, 1] (learner × moment rows).
    item_skills : iterable of skill sequences
        Skill tags of the items (co-tag evidence).
    threshold : float
        Mastery level counted as mastered.
    max_violation : float
        Largest violation rate accepted for a precedence edge.
    min_support : int
        Observations with the dependent mastered needed before judging a pair.

    Returns
    -------
    list of MinedEdge
        Acyclic and transitively reduced, sorted by (prerequisite, dependent).
    """
    index = {s: i for i, s in enumerate(skills)}
    candidates: list[tuple[float, MinedEdge]] = []
    level = None
    if mastery is not None and mastery.size:
        mastered = np.asarray(mastery) >= threshold
        rates, support = violation_rates(mastered)
        level = mastered.mean(axis=0)
        for a, b in zip(*np.nonzero(rates <= max_violation), strict=True):
            if support[b] >= min_support and rates[a, b] < rates[b, a]:
                edge = MinedEdge(
                    skills[a], skills[b], "precedence", float(rates[a, b]), int(support[b])
                )
                candidates.append((float(rates[a, b]), edge))
    for pair, count in co_tag_counts(item_skills).items():
        a, b = sorted(pair)
        if a not in index or b not in index:
            continue
        if level is not None and level[index[a]] < level[index[b]]:
            a, b = b, a
        candidates.append((-float(count), MinedEdge(a, b, "co_tag", 0.0, count)))
    return _reduce(skills, candidates)


def _reduce(skills: Sequence[str], candidates: list[tuple[float, MinedEdge]]) -> list[MinedEdge]:
    graph = nx.DiGraph()
    graph.add_nodes_from(skills)
    chosen: dict[tuple[str, str], MinedEdge] = {}
    for _, edge in sorted(candidates, key=lambda c: (c[0], c[1].prerequisite, c[1].dependent)):
        key = (edge.prerequisite, edge.dependent)
        if key in chosen or graph.has_edge(*key):
            continue
        if nx.has_path(graph, edge.dependent, edge.prerequisite):
            continue
        graph.add_edge(*key)
        chosen[key] = edge
    reduced = nx.transitive_reduction(graph)
    return sorted((chosen[e] for e in reduced.edges), key=lambda e: (e.prerequisite, e.dependent))


def score_edges(
    predicted: Iterable[tuple[str, str]], true: Iterable[tuple[str, str]]
) -> EdgeScores:
    """Edge precision / recall / F1 (directed edges must match exactly)."""
    pred, gold = set(predicted), set(true)
    hits = len(pred & gold)
    precision = hits / len(pred) if pred else 0.0
    recall = hits / len(gold) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return EdgeScores(precision, recall, f1, len(pred), len(gold))


def edges_to_mapping(edges: Iterable[MinedEdge], skills: Sequence[str]) -> Mapping[str, list[str]]:
    """``{skill: [prerequisites]}`` for every skill (policies take this form)."""
    out: dict[str, list[str]] = {s: [] for s in skills}
    for e in edges:
        out[e.dependent].append(e.prerequisite)
    return out
