"""Prerequisite mining from interaction data, and scoring against a known graph.

Two kinds of evidence, combined into one DAG:

* **Co-tags** — items tagged with two skills usually pair a skill with one it builds on; the
  pair is oriented from the more to the less mastered skill in the population.
* **Precedence** — if ``A`` is a prerequisite of ``B``, a learner who has mastered ``B`` has
  mastered ``A``. From per-learner mastery estimates at several moments (e.g. a KT model run
  over the logs; rows = learner × moment, columns = skills) the *violation rate*
  ``v(A, B) = #(B mastered, A not) / #(B mastered)`` is near 0 for prerequisites. Pairs with
  ``v(A, B) <= max_violation`` (and lower than ``v(B, A)``, enough support) are candidates.
  Skills a learner has not practised yet (NaN cells) are no evidence either way: a model's
  prior for them says nothing about this learner (real logs cover a few skills per learner).

Candidates are added strongest first while they keep the graph acyclic, then the transitive
reduction keeps direct edges only (``A -> C`` is dropped when ``A -> B -> C`` explains it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt

from knowledge_graph.base import Prerequisite, SkillGraph

MINED_SOURCE = "mined"  # the edge source of mined prerequisites added to a graph


@dataclass(frozen=True)
class MinerParams:
    """How to mine: :func:`mine_prerequisites`' knobs and the answers between two mastery
    snapshots. The defaults were chosen on the learning-path benchmark's tuning seeds
    (``benchmarks/path.py --tune``) and are those of ``learnloop graph mine``."""

    threshold: float = 0.9
    max_violation: float = 0.02
    min_support: int = 20
    snapshot_every: int = 30

    def mining_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of :func:`mine_prerequisites`."""
        return {
            "threshold": self.threshold,
            "max_violation": self.max_violation,
            "min_support": self.min_support,
        }


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


def violation_rates(
    mastered: npt.NDArray[np.bool_], observed: npt.NDArray[np.bool_] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(v, support)``: ``v[a, b] = #(b mastered, a not) / support[a, b]`` where
    ``support[a, b] = #(b mastered, a observed)``.

    ``observed`` (same shape, default all) marks the cells that carry evidence: a skill the
    learner has not practised yet is neither mastered nor a violation.
    """
    o = np.ones(mastered.shape) if observed is None else observed.astype(np.float64)
    m = mastered.astype(np.float64) * o
    both = m.T @ m  # both[a, b] = #(a and b mastered)
    support = o.T @ m  # support[a, b] = #(b mastered, a observed)
    rates = (support - both) / np.maximum(support, 1.0)
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
        Mastery estimates in [0, 1] (learner × moment rows); NaN where the learner has not
        practised the skill yet (no evidence either way).
    item_skills : iterable of skill sequences
        Skill tags of the items (co-tag evidence).
    threshold : float
        Mastery level counted as mastered.
    max_violation : float
        Largest violation rate accepted for a precedence edge.
    min_support : int
        Observations with the dependent mastered and the prerequisite practised needed before
        judging a pair.

    Returns
    -------
    list of MinedEdge
        Acyclic and transitively reduced, sorted by (prerequisite, dependent).
    """
    index = {s: i for i, s in enumerate(skills)}
    candidates: list[tuple[float, MinedEdge]] = []
    level = None
    if mastery is not None and mastery.size:
        values = np.asarray(mastery, dtype=np.float64)
        observed = ~np.isnan(values)
        mastered = np.nan_to_num(values, nan=0.0) >= threshold
        rates, support = violation_rates(mastered, observed)
        level = mastered.sum(axis=0) / np.maximum(observed.sum(axis=0), 1)
        for a, b in zip(*np.nonzero(rates <= max_violation), strict=True):
            if support[a, b] >= min_support and rates[a, b] < rates[b, a]:
                edge = MinedEdge(
                    skills[a], skills[b], "precedence", float(rates[a, b]), int(support[a, b])
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


@dataclass(frozen=True)
class ReviewedEdge:
    """A mined edge and what the graph already says about it.

    ``status``: ``in_graph`` (the same edge), ``implied`` (a longer prerequisite path),
    ``reversed`` (the graph has a path the other way: adding it would close a cycle), ``new``
    (both skills known, no path either way) or ``unknown_skill`` (a skill the graph lacks).
    """

    edge: MinedEdge
    status: str


def review_against(graph: SkillGraph, edges: Iterable[MinedEdge]) -> list[ReviewedEdge]:
    """Compare mined edges with ``graph`` (for a person to review before adding them)."""
    current = graph.to_networkx()  # one read: every skill node and prerequisite edge
    out = []
    for e in edges:
        a, b = e.prerequisite, e.dependent
        if a not in current or b not in current:
            status = "unknown_skill"
        elif current.has_edge(a, b):
            status = "in_graph"
        elif nx.has_path(current, a, b):
            status = "implied"
        elif nx.has_path(current, b, a):
            status = "reversed"
        else:
            status = "new"
        out.append(ReviewedEdge(e, status))
    return out


def add_new_edges(graph: SkillGraph, reviewed: Iterable[ReviewedEdge]) -> int:
    """Add the ``new`` edges to ``graph`` (source :data:`MINED_SOURCE`); returns how many.

    An edge that the ones added before it turned into a cycle is skipped.
    """
    new = [
        Prerequisite(r.edge.prerequisite, r.edge.dependent, source=MINED_SOURCE)
        for r in reviewed
        if r.status == "new"
    ]
    refused = graph.add_prerequisites(new)
    return len(new) - len(refused)
