"""Ground truth the learners live in: the layered skill DAG and the item bank."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from features.simulator.config import SimulatorConfig

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SimItem:
    """One simulated item and its true response parameters.

    Attributes
    ----------
    id : str
        Item id (``item-0000`` ...).
    skill_ids : tuple of str
        Primary skill first, then optionally one of its prerequisites.
    difficulty, discrimination : float
        IRT ``b`` and ``a``.
    guess, slip : float
        Floors: ``P(correct) in [guess, 1 - slip]``.
    """

    id: str
    skill_ids: tuple[str, ...]
    difficulty: float
    discrimination: float
    guess: float
    slip: float


@dataclass
class SkillGraph:
    """Layered prerequisite DAG over skill indices (skills are numbered in layer order).

    ``parents`` is padded with -1 to shape ``(n_skills, max_parents)``.
    """

    layers: IntArray
    edges: list[tuple[int, int]]
    parents: IntArray

    @property
    def has_parents(self) -> npt.NDArray[np.bool_]:
        """Mask of skills with at least one prerequisite."""
        return np.asarray((self.parents >= 0).any(axis=1), dtype=np.bool_)


@dataclass
class ItemBank:
    """Item parameters as aligned arrays; ``skills`` is padded with -1 to shape ``(n, 2)``."""

    skills: IntArray
    difficulty: FloatArray
    discrimination: FloatArray
    guess: FloatArray
    slip: FloatArray


def build_skill_graph(config: SimulatorConfig, rng: np.random.Generator) -> SkillGraph:
    """Draw the layered DAG.

    Every layer gets at least one skill, the rest are spread at random. A skill in layer
    ``l >= 1`` has one prerequisite drawn from layer ``l - 1`` for sure, each other skill of
    layer ``l - 1`` with probability ``edge_density`` and each skill of earlier layers with
    probability ``skip_edge_density``.
    """
    n, depth = config.n_skills, config.n_layers
    sizes = 1 + rng.multinomial(n - depth, np.full(depth, 1.0 / depth))
    layers = np.repeat(np.arange(depth, dtype=np.int64), sizes)
    edges: list[tuple[int, int]] = []
    for child in range(n):
        layer = int(layers[child])
        if layer == 0:
            continue
        previous = np.flatnonzero(layers == layer - 1)
        earlier = np.flatnonzero(layers < layer - 1)
        chosen = previous[rng.random(previous.size) < config.edge_density]
        sure = int(rng.choice(previous))
        skipped = earlier[rng.random(earlier.size) < config.skip_edge_density]
        parents = sorted({sure, *chosen.tolist(), *skipped.tolist()})
        edges.extend((int(p), child) for p in parents)
    width = max((sum(1 for _, c in edges if c == s) for s in range(n)), default=0)
    padded = np.full((n, width), -1, dtype=np.int64)
    fill = np.zeros(n, dtype=np.int64)
    for parent, child in edges:
        padded[child, fill[child]] = parent
        fill[child] += 1
    return SkillGraph(layers=layers, edges=edges, parents=padded)


def build_item_bank(
    config: SimulatorConfig, graph: SkillGraph, rng: np.random.Generator
) -> ItemBank:
    """Draw the items: balanced primary skills, an optional prerequisite skill, IRT parameters."""
    n = config.n_items
    primary = rng.permutation(np.arange(n, dtype=np.int64) % config.n_skills)
    skills = np.full((n, 2), -1, dtype=np.int64)
    skills[:, 0] = primary
    wants_second = rng.random(n) < config.two_skill_fraction
    for item in np.flatnonzero(wants_second):
        candidates = graph.parents[primary[item]]
        candidates = candidates[candidates >= 0]
        if candidates.size:
            skills[item, 1] = rng.choice(candidates)
    centred = graph.layers[primary] - (config.n_layers - 1) / 2.0
    difficulty = (
        config.difficulty_mean
        + config.depth_difficulty * centred
        + rng.normal(0.0, config.difficulty_sd, n)
    )
    discrimination = np.clip(np.exp(rng.normal(0.0, config.discrimination_sd, n)), 0.25, 4.0)
    guess = rng.uniform(0.0, config.guess_max, n)
    slip = rng.uniform(0.0, config.slip_max, n)
    return ItemBank(skills, difficulty, discrimination, guess, slip)
