"""Turning simulated answers into a plausible ``LearningEvent`` stream: sessions, times, ids."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from features.events import EventContext, EventObject, EventResult, LearningEvent, ObjectType, Verb
from features.simulator.config import SimulatorConfig
from features.simulator.population import Population
from features.simulator.world import FloatArray, IntArray, SimItem

SOURCE = "simulator"
# Spread (log-normal sigma) of gaps between sessions and of answer times; mean in-session pause.
SESSION_GAP_SIGMA = 0.8
ANSWER_TIME_SIGMA = 0.5
PAUSE_MEAN_S = 15.0


def start_sessions(population: Population, rng: np.random.Generator) -> None:
    """Open a new session for every learner whose current one is used up.

    A learner's first session starts at their join time; later ones after a log-normal gap
    around ``session_gap_hours``. Session length is ``1 + Poisson(session_length_mean - 1)``.
    """
    config = population.config
    opening = np.flatnonzero(population.session_left <= 0)
    if opening.size == 0:
        return
    gap = (
        3600.0 * config.session_gap_hours * np.exp(rng.normal(0.0, SESSION_GAP_SIGMA, opening.size))
    )
    population.clock[opening] += np.where(population.sessions[opening] > 0, gap, 0.0)
    population.sessions[opening] += 1
    population.session_left[opening] = 1 + rng.poisson(
        config.session_length_mean - 1.0, opening.size
    )


def answer_seconds(
    rng: np.random.Generator, theta: FloatArray, difficulty: FloatArray, config: SimulatorConfig
) -> FloatArray:
    """Log-normal time on task around ``duration_median_s``, longer when ``b`` exceeds ``theta``."""
    log_time = math.log(config.duration_median_s) + 0.3 * (difficulty - theta)
    noise = rng.normal(0.0, ANSWER_TIME_SIGMA, theta.size)
    return np.asarray(np.exp(log_time + noise), dtype=np.float64)


def pause_seconds(rng: np.random.Generator, n: int) -> FloatArray:
    """Exponential pause between two answers of a session."""
    return np.asarray(rng.exponential(PAUSE_MEAN_S, n), dtype=np.float64)


@dataclass
class AnswerLog:
    """Columns of answers produced by one ``generate`` call, one array per step."""

    learner: list[IntArray] = field(default_factory=list)
    item: list[IntArray] = field(default_factory=list)
    correct: list[np.ndarray] = field(default_factory=list)
    time: list[FloatArray] = field(default_factory=list)
    duration: list[FloatArray] = field(default_factory=list)
    session: list[IntArray] = field(default_factory=list)

    def append(
        self,
        *,
        learner: IntArray,
        item: IntArray,
        correct: np.ndarray,
        time: FloatArray,
        duration: FloatArray,
        session: IntArray,
    ) -> None:
        """Record one step (copies the arrays)."""
        for name, values in zip(
            ("learner", "item", "correct", "time", "duration", "session"),
            (learner, item, correct, time, duration, session),
            strict=True,
        ):
            getattr(self, name).append(np.array(values, copy=True))


def build_events(
    log: AnswerLog,
    *,
    learner_ids: tuple[str, ...],
    items: tuple[SimItem, ...],
    start: datetime,
    propensity: float | None,
    rng: np.random.Generator,
) -> list[LearningEvent]:
    """Validated ``answered`` events in time order (ties by learner), with seeded UUIDs."""
    if not log.learner:
        return []
    learner, item, correct, time, duration, session = (
        np.concatenate(getattr(log, name))
        for name in ("learner", "item", "correct", "time", "duration", "session")
    )
    order = np.lexsort((learner, time))
    raw_ids = rng.bytes(16 * order.size)
    objects = {it.id: EventObject(id=it.id, type=ObjectType.PROBLEM) for it in items}
    contexts: dict[tuple[int, int], EventContext] = {}
    events = []
    for n, row in enumerate(order.tolist()):
        who, what, session_no = int(learner[row]), items[int(item[row])], int(session[row])
        context = contexts.get((who, session_no))
        if context is None:
            context = EventContext(
                session_id=f"{learner_ids[who]}/s{session_no:04d}",
                source=SOURCE,
                propensity=propensity,
            )
            contexts[(who, session_no)] = context
        ok = bool(correct[row])
        events.append(
            LearningEvent(
                event_id=uuid.UUID(bytes=raw_ids[16 * n : 16 * n + 16], version=4),
                learner_id=learner_ids[who],
                timestamp=start + timedelta(seconds=float(time[row])),
                verb=Verb.ANSWERED,
                object=objects[what.id],
                skill_ids=list(what.skill_ids),
                result=EventResult(
                    correct=ok, score=1.0 if ok else 0.0, duration_s=round(float(duration[row]), 3)
                ),
                context=context,
            )
        )
    return events
