"""A simulated A/B experiment written to the lake, to try the analysis and the report end to end.

Simulated learners answer ``pre_answers`` random items before the start (the CUPED
pre-period), then are assigned with :func:`assign` and keep answering: control gets uniformly
random items, every other variant random items without the hardest ``excluded_hardest`` share.
Events carry ``context.experiments``, the serving ``propensity``, a platform and a course, as
RES would log them.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np

from features.events import EventObject, LearningEvent
from features.lake import Lake, events_to_table
from features.simulator import LearnerSimulator, SimulatorConfig
from pipelines.experiments.assignment import assign, exposure_context, hash_unit
from pipelines.experiments.definitions import Experiment, parse_experiment

PLATFORMS = ("web", "ios", "android")
COURSES = ("algebra-1", "geometry-1")


def demo_experiment(experiment_id: str = "demo-easier-items", *, start: datetime) -> Experiment:
    """A two-arm definition with accuracy as primary metric and guardrails."""
    return parse_experiment(
        {
            "id": experiment_id,
            "name": "Hide the hardest items",
            "description": "Treatment never serves the hardest 10% of items (simulated).",
            "owner": "experimentation",
            "variants": [{"name": "control"}, {"name": "easier"}],
            "primary_metric": "accuracy",
            "guardrails": [
                {"metric": "mean_duration_s", "direction": "decrease", "tolerance": 0.05}
            ],
            "start": start,
            "pre_period_days": 30,
        }
    )


def _ceil_day(when: datetime) -> datetime:
    day = datetime(when.year, when.month, when.day, tzinfo=UTC)
    return day if day == when else day + timedelta(days=1)


def simulate_experiment(
    lake: Lake,
    *,
    experiment_id: str = "demo-easier-items",
    n_learners: int = 2000,
    pre_answers: int = 10,
    answers: int = 40,
    excluded_hardest: float = 0.1,
    seed: int = 0,
) -> tuple[Experiment, int]:
    """Simulate, write the events to ``lake``; returns the definition and the event count."""
    sim = LearnerSimulator(SimulatorConfig(n_learners=n_learners, seed=seed))
    pre = sim.generate(pre_answers)
    start = _ceil_day(max(e.timestamp for e in pre) if pre else sim.config.start)
    for learner_id in sim.learner_ids:  # learners arrive over the first week
        arrival = start + timedelta(days=7 * hash_unit("demo-arrival", learner_id))
        gap = (arrival - sim.now(learner_id)).total_seconds()
        sim.advance_time(max(gap, 0.0), learner_id=learner_id)
    experiment = demo_experiment(experiment_id, start=start)
    by_difficulty = sorted(sim.items, key=lambda item: item.difficulty)
    pool = [it.id for it in by_difficulty[: round((1 - excluded_hardest) * len(sim.items))]]
    everything = [it.id for it in sim.items]
    variants = {lid: assign(experiment, lid) for lid in sim.learner_ids}
    rng = np.random.default_rng(seed + 1)

    def serve(_sim: LearnerSimulator, learner_id: str) -> str:
        choices = everything if variants[learner_id] == experiment.control else pool
        return choices[int(rng.integers(len(choices)))]

    during = sim.generate(answers, policy=serve)
    tagged = [_decorate(e, None, None) for e in pre]
    for event in during:
        variant = variants[event.learner_id] or experiment.control
        served_from = everything if variant == experiment.control else pool
        tagged.append(_decorate(event, {experiment.id: variant}, 1 / len(served_from)))
    lake.write_events(events_to_table(tagged))
    return experiment, len(tagged)


def _decorate(
    event: LearningEvent, assignments: dict[str, str] | None, propensity: float | None
) -> LearningEvent:
    """Add platform, course and (during the experiment) exposure to a simulated event."""
    lid = event.learner_id
    platform = PLATFORMS[math.floor(hash_unit("demo-platform", lid) * len(PLATFORMS))]
    course = COURSES[math.floor(hash_unit("demo-course", lid) * len(COURSES))]
    context = exposure_context(event.context, assignments or {}, propensity)
    context = context.model_copy(update={"platform": platform})
    obj = EventObject(id=event.object.id, type=event.object.type, course_id=course)
    return event.model_copy(update={"context": context, "object": obj})
