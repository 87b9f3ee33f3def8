"""Behavioural tests of the learner simulator (features/simulator)."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import timedelta
from itertools import pairwise

import networkx as nx
import numpy as np
import pytest

from features.events import Verb, parse_learning_event
from features.simulator import (
    LearnerSimulator,
    SimulatorConfig,
    SimulatorConfigError,
    UnknownItemError,
    UnknownLearnerError,
)

DAY = 86_400.0


def _sim(**overrides: object) -> LearnerSimulator:
    knobs: dict[str, object] = {"n_learners": 40, "seed": 7}
    knobs.update(overrides)
    return LearnerSimulator(SimulatorConfig(**knobs))  # type: ignore[arg-type]


def _dump(events: list) -> list[dict]:
    return [e.model_dump(mode="json") for e in events]


def _single_skill_items(sim: LearnerSimulator, skill: str) -> list[str]:
    return [item.id for item in sim.items if item.skill_ids == (skill,)]


def _column(sim: LearnerSimulator, skill: str) -> np.ndarray:
    return sim.mastery_matrix()[:, sim.skills.index(skill)]


def _practise(sim: LearnerSimulator, items: list[str], rounds: int) -> None:
    for _ in range(rounds):
        for learner in sim.learner_ids:
            for item in items:
                sim.attempt(learner, item)


def test_generate_same_seed_gives_identical_stream() -> None:
    first = _sim(seed=3).generate(30)
    second = _sim(seed=3).generate(30)
    other = _sim(seed=4).generate(30)
    assert _dump(first) == _dump(second)
    assert _dump(first) != _dump(other)


def test_clone_replays_identically_and_fork_diverges() -> None:
    sim = _sim()
    sim.generate(10)
    twin, forked = sim.clone(), sim.fork(1)
    np.testing.assert_array_equal(forked.mastery_matrix(), sim.mastery_matrix())
    ours = _dump(sim.generate(20, policy="curriculum"))
    assert _dump(twin.generate(20, policy="curriculum")) == ours
    assert _dump(forked.generate(20, policy="curriculum")) != ours


def test_generated_events_validate_and_are_chronological_per_learner() -> None:
    sim = _sim(n_learners=15)
    events = sim.generate(40)
    assert len(events) == 15 * 40
    skills_of = {item.id: list(item.skill_ids) for item in sim.items}
    per_learner: dict[str, list] = defaultdict(list)
    for event in events:
        assert parse_learning_event(event.model_dump(mode="json")) == event
        assert event.verb is Verb.ANSWERED
        assert event.context.source == "simulator"
        assert event.skill_ids == skills_of[event.object.id]
        assert event.result is not None
        assert (event.result.duration_s or 0.0) > 0
        per_learner[event.learner_id].append(event)
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)
    within: list[float] = []
    between: list[float] = []
    for history in per_learner.values():
        assert len(history) == 40
        for before, after in pairwise(history):
            assert after.timestamp > before.timestamp
            gap = (after.timestamp - before.timestamp).total_seconds()
            same = after.context.session_id == before.context.session_id
            (within if same else between).append(gap)
    assert between and np.median(between) > 10 * np.median(within)
    assert len({e.event_id for e in events}) == len(events)


def test_practising_a_skill_raises_its_mastery() -> None:
    sim = _sim()
    root = sim.skills[0]
    before = _column(sim, root)
    _practise(sim, _single_skill_items(sim, root)[:3], rounds=2)
    after = _column(sim, root)
    assert np.all(after > before)
    assert after.mean() - before.mean() > 0.15


def test_unmastered_prerequisites_slow_learning() -> None:
    sim = _sim(n_learners=60)
    graph = sim.true_graph
    layer = nx.get_node_attributes(graph, "layer")
    target = next(
        s
        for s in sim.skills
        if layer[s] == 1
        and _single_skill_items(sim, s)
        and all(layer[p] == 0 for p in graph.pred[s])
    )
    parents = list(graph.pred[target])
    ready = sim.clone()
    _practise(ready, [_single_skill_items(ready, p)[0] for p in parents], rounds=40)
    parent_mastery = ready.mastery_matrix()[:, [sim.skills.index(p) for p in parents]]
    assert parent_mastery.min() > sim.config.mastery_threshold
    assert parent_mastery.mean() > 0.95
    np.testing.assert_array_equal(_column(ready, target), _column(sim, target))

    target_items = _single_skill_items(sim, target)[:1]
    gains = []
    for world in (sim, ready):
        start = _column(world, target)
        _practise(world, target_items, rounds=5)
        gains.append(_column(world, target) - start)
    unready_gain, ready_gain = gains
    assert ready_gain.mean() > 3 * unready_gain.mean() > 0


def test_items_near_the_learners_level_teach_more() -> None:
    sim = _sim(wrong_answer_learning=1.0, difficulty_sd=2.0, zpd_strength=0.6)
    root = sim.skills[0]
    column = sim.skills.index(root)
    items = _single_skill_items(sim, root)
    compared = 0
    for learner in sim.learner_ids:
        p = {item: sim.p_correct(learner, item) for item in items}
        near = min(items, key=lambda item: abs(p[item] - sim.config.zpd_target))
        easy = max(items, key=p.__getitem__)
        if p[easy] - p[near] < 0.15:
            continue
        gains = []
        for item in (near, easy):
            world = sim.clone()
            before = world.mastery(learner)[root]
            world.attempt(learner, item)
            gains.append(world.mastery_matrix()[sim.learner_ids.index(learner), column] - before)
        assert gains[0] > gains[1]
        compared += 1
    assert compared >= 10


def test_expected_gains_match_the_mean_gain_of_an_answer() -> None:
    """``expected_gains`` is the response-averaged gain that ``attempt`` then realises."""
    sim = _sim(n_learners=3)
    learner = sim.learner_ids[1]
    expected = sim.expected_gains(learner)
    assert expected.shape == (len(sim.items),) and np.all(expected >= 0)
    np.testing.assert_array_equal(sim.expected_gains(learner), expected)  # no state change
    two_skill = next(i for i, item in enumerate(sim.items) if len(item.skill_ids) == 2)
    for index in (int(np.argmax(expected)), two_skill):
        item = sim.items[index]
        before = sim.mastery(learner)
        gains = []
        for key in range(400):
            world = sim.fork(key)
            world.attempt(learner, item.id)
            after = world.mastery(learner)
            gains.append(sum(after[s] - before[s] for s in item.skill_ids))
        assert np.mean(gains) == pytest.approx(expected[index], rel=0.1)


def test_forgetting_lowers_mastery_after_a_long_gap() -> None:
    sim = _sim()
    root = sim.skills[0]
    _practise(sim, _single_skill_items(sim, root)[:2], rounds=3)
    practised = _column(sim, root)
    sim.advance_time(60.0)
    np.testing.assert_allclose(_column(sim, root), practised, rtol=1e-4)
    sim.advance_time(120 * DAY)
    later = _column(sim, root)
    assert np.all(later < 0.9 * practised)
    assert np.all(later >= sim.config.retention_floor * practised - 1e-12)


def test_attempt_at_moves_the_clock_and_rejects_the_past() -> None:
    sim = _sim()
    learner, item = sim.learner_ids[0], sim.items[0].id
    later = sim.now(learner) + timedelta(days=3)
    sim.attempt(learner, item, at=later)
    assert sim.now(learner) == later
    with pytest.raises(ValueError, match="before"):
        sim.attempt(learner, item, at=later - timedelta(seconds=1))


def test_able_learners_answer_more_correctly() -> None:
    sim = _sim(n_learners=80)
    events = sim.generate(60)
    correct: dict[str, list[bool]] = defaultdict(list)
    for event in events:
        correct[event.learner_id].append(bool(event.correct))
    accuracy = [np.mean(correct[learner]) for learner in sim.learner_ids]
    assert np.corrcoef(sim.abilities, accuracy)[0, 1] > 0.5


def test_p_correct_and_mastery_do_not_change_state() -> None:
    sim = _sim()
    before = sim.mastery_matrix()
    learner = sim.learner_ids[3]
    probabilities = sim.item_probabilities(learner)
    for index, item in enumerate(sim.items[:20]):
        p = sim.p_correct(learner, item.id)
        assert p == pytest.approx(probabilities[index])
        assert item.guess <= p <= 1 - item.slip
    assert sim.mastery(learner) == dict(zip(sim.skills, before[3].tolist(), strict=True))
    np.testing.assert_array_equal(sim.mastery_matrix(), before)


def test_true_graph_is_a_layered_dag_matching_the_edge_list() -> None:
    sim = _sim(n_skills=30, n_layers=5, two_skill_fraction=0.5)
    graph = sim.true_graph
    layer = nx.get_node_attributes(graph, "layer")
    assert nx.is_directed_acyclic_graph(graph)
    assert list(graph.nodes) == list(sim.skills)
    assert sorted(graph.edges) == sim.prerequisite_edges
    assert set(layer.values()) == set(range(5))
    assert all(layer[p] < layer[c] for p, c in graph.edges)
    for skill in sim.skills:
        if layer[skill] > 0:
            assert any(layer[p] == layer[skill] - 1 for p in graph.pred[skill])
    assert {item.skill_ids[0] for item in sim.items} == set(sim.skills)
    pairs = [item.skill_ids for item in sim.items if len(item.skill_ids) == 2]
    assert pairs and all(graph.has_edge(second, first) for first, second in pairs)


def test_policies_choose_items() -> None:
    sim = _sim(n_learners=5)
    first = sim.clone().generate(1, policy="curriculum")
    layer = nx.get_node_attributes(sim.true_graph, "layer")
    assert all(layer[e.skill_ids[0]] == 0 for e in first)
    assert all(e.context.propensity is None for e in first)
    chosen = sim.generate(3, policy=lambda _sim, _learner: "item-0005")
    assert {e.object.id for e in chosen} == {"item-0005"}
    with pytest.raises(UnknownItemError, match="nope"):
        sim.generate(1, policy=lambda _sim, _learner: "nope")
    with pytest.raises(ValueError, match="policy"):
        sim.generate(1, policy="greedy")  # type: ignore[arg-type]


def test_with_drift_makes_items_harder_and_adds_a_weaker_cohort() -> None:
    sim = _sim(n_learners=200)
    drifted = sim.with_drift(difficulty_shift=1.0, cohort_size=200, cohort_ability_shift=-1.0)
    old = np.array([item.difficulty for item in sim.items])
    np.testing.assert_allclose([item.difficulty for item in drifted.items], old + 1.0)
    assert len(sim.learner_ids) == 200 and len(drifted.learner_ids) == 400
    learner = sim.learner_ids[0]
    assert np.all(drifted.item_probabilities(learner) < sim.item_probabilities(learner))
    newcomers = drifted.abilities[200:]
    assert newcomers.mean() < sim.abilities.mean() - 0.7
    assert drifted.now(drifted.learner_ids[-1]) >= max(sim.now(lid) for lid in sim.learner_ids)
    drifted.attempt(drifted.learner_ids[-1], sim.items[0].id)
    partial = sim.with_drift(difficulty_shift=1.0, item_fraction=0.25)
    shifted = np.array([item.difficulty for item in partial.items]) != old
    assert shifted.sum() == 50


def test_unknown_ids_raise_key_errors_naming_the_id() -> None:
    sim = _sim()
    with pytest.raises(UnknownLearnerError, match="learner-9999") as caught:
        sim.mastery("learner-9999")
    assert isinstance(caught.value, KeyError)
    with pytest.raises(KeyError, match="item-9999"):
        sim.attempt(sim.learner_ids[0], "item-9999")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("n_skills", 0),
        ("n_learners", 2.5),
        ("seed", -1),
        ("edge_density", 1.5),
        ("guess_max", 0.6),
        ("learn_rate", 0.0),
        ("zpd_width", 0.0),
        ("ability_sd", float("nan")),
        ("n_layers", 21),
        ("n_items", 5),
    ],
)
def test_config_validation_names_the_field(field: str, value: object) -> None:
    with pytest.raises(SimulatorConfigError, match=field) as caught:
        SimulatorConfig(**{field: value})  # type: ignore[arg-type]
    assert caught.value.field == field
    assert "allowed" in str(caught.value)


def test_generate_200_learners_by_200_events_is_fast() -> None:
    sim = LearnerSimulator(SimulatorConfig(n_learners=200))
    started = time.perf_counter()
    events = sim.generate(200)
    assert len(events) == 40_000
    assert time.perf_counter() - started < 5.0
