"""Prerequisite mining from the lake's graded answers (``learnloop graph mine``).

BKT is fitted on the answers; every learner's mastery is snapshotted every
``MinerParams.snapshot_every`` answers (``models.kt.snapshots``); ``knowledge_graph.mining``
turns the snapshots (precedence) and the items' skill tags (co-tags) into an acyclic,
transitively reduced set of edges. A skill a learner has not answered yet is left out of
their snapshots rather than set to BKT's prior: real logs cover a few skills per learner, and
a high prior would make a skill look mastered by everyone (a prerequisite of everything).

The learning-path benchmark scores this procedure against a simulator's true graph
(``benchmarks/path.py``). Its learners practise every skill, so leaving unpractised skills out
changes little there (tuning seeds 100-107: mean F1 0.493, 0.494 with the prior) and the
benchmark keeps the prior.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby

import pandas as pd
import pyarrow.compute as pc

from features.lake import Lake
from knowledge_graph.mining import MinedEdge, MinerParams, mine_prerequisites
from models.kt.base import InteractionSequence, KTEvent
from models.kt.bkt import BKT
from models.kt.snapshots import mastery_snapshots
from pipelines.pit_join import graded_rows
from pipelines.steps.ingest import sample_learners

# what graded_rows reads, and the source filter's column
EVENT_COLUMNS = [
    "learner_id",
    "event_id",
    "timestamp",
    "verb",
    "object_id",
    "skill_ids",
    "correct",
    "source",
]


class MiningDataError(ValueError):
    """Nothing to mine: no graded answers (of the asked source) in the lake."""


@dataclass(frozen=True)
class AnswerHistories:
    """Graded answers as the miner consumes them: model skill ids ``1..n`` for ``skills``."""

    skills: list[str]
    histories: list[list[KTEvent]]
    item_skills: list[tuple[str, ...]]

    @property
    def answers(self) -> int:
        return sum(len(h) for h in self.histories)


@dataclass(frozen=True)
class MiningResult:
    """Mined edges and what they were mined from."""

    edges: list[MinedEdge]
    learners: int
    answers: int
    skills: int
    params: MinerParams = field(default_factory=MinerParams)


def read_graded_answers(
    lake: Lake, *, source: str | None = None, max_learners: int | None = None, seed: int = 0
) -> pd.DataFrame:
    """One row per (graded answer, skill) of the lake (``pipelines.pit_join.graded_rows``).

    Raises
    ------
    MiningDataError
        If there is none (naming the sources the lake does hold).
    """
    wanted = pc.field("verb") == "answered"
    if source is not None:
        wanted = wanted & (pc.field("source") == source)
    table = sample_learners(
        lake.read_events(columns=EVENT_COLUMNS, filter=wanted), max_learners, seed
    )
    rows = graded_rows(table.to_pandas())
    if rows.empty:
        held = pc.unique(lake.read_events(columns=["source"]).column("source")).to_pylist()
        sources = sorted(s for s in held if s)
        asked = f" of source {source!r}" if source is not None else ""
        where = f" (sources in the lake: {', '.join(sources)})" if sources else " (it is empty)"
        raise MiningDataError(f"no graded answers{asked} in the lake{where}")
    return rows


def answer_histories(rows: pd.DataFrame) -> AnswerHistories:
    """Per-learner event histories (a multi-skill answer is one event, in time order) and the
    items' skill tags, from :func:`~pipelines.pit_join.graded_rows`-shaped rows."""
    rows = rows.sort_values(["learner_id", "timestamp", "event_id"], kind="stable")
    skills = sorted(rows["skill_id"].unique())
    index = {s: i + 1 for i, s in enumerate(skills)}
    records = rows[["learner_id", "event_id", "skill_id", "correct"]].itertuples(index=False)
    histories = []
    for _, learner_rows in groupby(records, key=lambda r: r.learner_id):
        history = []
        for _, answer in groupby(learner_rows, key=lambda r: r.event_id):
            answer_rows = list(answer)
            ids = tuple(dict.fromkeys(index[r.skill_id] for r in answer_rows))
            history.append(KTEvent(ids, bool(answer_rows[0].correct)))
        histories.append(history)
    tags = rows.groupby("item_id", sort=True)["skill_id"].unique()
    return AnswerHistories(skills, histories, [tuple(t) for t in tags])


def mine_answers(
    data: AnswerHistories,
    params: MinerParams | None = None,
    *,
    seed: int = 0,
    on_stage: Callable[[str], None] | None = None,
) -> MiningResult:
    """Fit BKT on ``data``, snapshot mastery, mine prerequisites over ``data.skills``."""
    params = params or MinerParams()
    stage = on_stage or (lambda _: None)
    stage(f"fitting BKT on {data.answers} answers of {len(data.histories)} learners")
    sequences = [InteractionSequence.from_events(h) for h in data.histories]
    bkt = BKT(seed=seed).fit(sequences, n_skills=len(data.skills))
    stage(f"mastery snapshots every {params.snapshot_every} answers")
    ids = list(range(1, len(data.skills) + 1))
    snapshots = mastery_snapshots(
        bkt, data.histories, ids, params.snapshot_every, practised_only=True
    )
    stage(f"mining {len(snapshots)} snapshots and {len(data.item_skills)} items' skill tags")
    edges = mine_prerequisites(
        data.skills, snapshots, item_skills=data.item_skills, **params.mining_kwargs()
    )
    return MiningResult(edges, len(data.histories), data.answers, len(data.skills), params)
