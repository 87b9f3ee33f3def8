"""Learning-path benchmark in the learner simulator: learning gain per policy, mined graph F1.

Per seed, one simulated world (default ``SimulatorConfig``: 20 skills in 4 layers, 200 items):

1. **History**: a separate cohort of the same world answers random items; its log trains the
   policy's learner model (``KT_MODEL``, a ``models.kt`` model: PFA), BKT (learning rates and
   mining), per-item difficulty offsets and item popularity, and is mined for prerequisites
   (``knowledge_graph.mining``: co-tags + precedence on BKT mastery snapshots).
2. **Evaluation**: ``N`` fresh learners × ``T`` steps (sessions with gaps, forgetting) under each
   policy, from the same start state (``clone``): random, popularity, curriculum (the
   simulator's syllabus in DAG order, easiest items first), our KT+ZPD policy
   (``models.policy.AdaptivePolicy``: PFA mastery, prerequisite filter, ZPD, spaced review,
   diversity) with the curated graph (the simulator's DAG, standing in for the course-plan
   graph) and with the mined graph, and an oracle that greedily maximises the true expected
   learning gain from the simulator's true state, graph and parameters.
3. **Learning gain** = mean over learners of the post-test (true knowledge averaged over all
   skills) minus the pre-test.

Hyper-parameters of our policy and of the miner were chosen on seeds 100+ (``--tune``), never
on the reported seeds. Reported: mean ± 95 % CI over seeds.

    .venv/bin/python benchmarks/path.py --jobs 2   # 10 seeds × 100 learners × 100 steps
    .venv/bin/python benchmarks/path.py --quick    # 2 seeds × 60 learners × 60 steps

Writes benchmarks/results/path.json (``gain_ratio_vs_curriculum``, ``gain_ratio_vs_oracle``,
``prereq_f1``) and path.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

from benchmarks.figures import path_figure  # noqa: E402
from benchmarks.outputs import results_dir  # noqa: E402
from features.events import LearningEvent  # noqa: E402
from features.simulator import LearnerSimulator, SimulatorConfig  # noqa: E402
from features.simulator.dynamics import zpd_multiplier  # noqa: E402
from knowledge_graph.mining import edges_to_mapping, mine_prerequisites, score_edges  # noqa: E402
from models.kt import make_model  # noqa: E402
from models.kt.base import InteractionSequence, KTEvent  # noqa: E402
from models.kt.bkt import BKT  # noqa: E402
from models.policy import (  # noqa: E402
    AdaptivePolicy,
    Catalog,
    ContentItem,
    KTMasteryTracker,
    LearnerState,
    ZPDReranker,
    item_offsets_from_log,
)

DAY = 86_400.0
TARGETS = {"gain_ratio_vs_curriculum": 1.3, "gain_ratio_vs_oracle": 0.8, "prereq_f1": 0.7}
# Chosen on tuning seeds (see --tune), never on the reported seeds.
POLICY_PARAMS: dict[str, Any] = {
    # on PFA's P(correct) of an average item of the skill; seeds 100-107, 60 learners:
    # PFA 1.354x curriculum vs 1.299 with BKT (threshold 0.95); 0.85 and 0.9 tie (the answer
    # counts below decide most move-ons), 0.75 1.336, 0.8 1.342
    "mastery_threshold": 0.9,
    "target": 0.8,
    "width": 0.2,
    "zpd_weight": 0.5,
    "headroom_weight": 1.0,
    "unlock_weight": 0.2,
    "review_after_days": 7.0,
    "repeat_penalty": 1.0,  # see the README: the simulator has no item memory
    "diversity_decay": 0.5,
    "min_attempts": 8,  # 0/4/8/12/16 on seeds 100-101: BKT declares mastery after 3-4 answers
    # seeds 100-103, 60 learners: BKT's P(learned) lags on some learners (wrong answers on hard
    # items), which kept them on skills they had learned; 7 correct or 12 answers also count
    "enough_correct": 7,
    "enough_attempts": 12,
    # the two counts above x exp(-0.45 x the learner's ability offset): seeds 100-107 mean
    # ratio 1.354 (off) -> 1.391 / 1.396 / 1.396 (0.3 / 0.45 / 0.6), better on all 8 seeds;
    # confirmed on fresh seeds 108-113: 1.410 -> 1.451 (0.45), better on all 6
    "count_ability_scaling": 0.45,
}
# The diagnostic row's mastery rule on true knowledge. The answer-count rules above guard
# against a lagging estimate and are off here. Seeds 100-107, 60 learners, true P(correct):
# threshold 0.7 1.58x curriculum, 0.75 1.56 (0.75 with the count rules 1.45), oracle 1.56;
# with PFA's P(correct) instead: 0.65 1.45, 0.75 1.52, 0.85 1.19.
TRUE_KNOWLEDGE_PARAMS: dict[str, Any] = {
    "mastery_threshold": 0.7,
    "min_attempts": 0,
    "enough_correct": 0,
    "enough_attempts": 0,
}
MINER_PARAMS: dict[str, Any] = {"threshold": 0.9, "max_violation": 0.02, "min_support": 20}
SNAPSHOT_EVERY = 30
ABILITY_PRIOR = 10.0
# the policy's learner model (models.kt name; mining and learn rates always use BKT). Seeds
# 100-107: PFA 1.354x curriculum, Best-LR 1.332, BKT 1.299 (PFA's P(correct) follows practice
# counts per skill; BKT's P(learned) lags)
KT_MODEL = "pfa"


@dataclass
class World:
    """One seed's simulator, history-derived models and graphs."""

    sim: LearnerSimulator
    catalog: Catalog
    tracker: KTMasteryTracker
    learn_rates: dict[str, float]
    curated: dict[str, list[str]]
    mined: dict[str, list[str]]
    mined_scores: Any
    true_knowledge_scores: Any
    popularity_order: list[str]


def _correct(event: LearningEvent) -> bool:
    """Whether a simulated answer was correct (simulator events always carry a result)."""
    assert event.result is not None
    return bool(event.result.correct)


def _days(sim: LearnerSimulator, when: datetime) -> float:
    return (when - sim.config.start).total_seconds() / DAY


def build_world(
    seed: int, n_learners: int, hist_learners: int, hist_events: int, miner: dict[str, Any]
) -> World:
    sim = LearnerSimulator(SimulatorConfig(seed=seed, n_learners=n_learners))
    skill_id = {s: i + 1 for i, s in enumerate(sim.skills)}
    history = sim.with_drift(cohort_size=hist_learners)
    cohort = set(history.learner_ids[n_learners:])
    per: dict[str, list[tuple[str, tuple[str, ...], bool]]] = {}
    true_snapshots = []  # diagnostic: mining on the true knowledge at the same moments
    for start in range(0, hist_events, SNAPSHOT_EVERY):
        for e in history.generate(min(SNAPSHOT_EVERY, hist_events - start), policy="random"):
            if e.learner_id in cohort:
                per.setdefault(e.learner_id, []).append(
                    (e.object.id, tuple(e.skill_ids), _correct(e))
                )
        true_snapshots.append(history.mastery_matrix()[n_learners:])
    problem_id = {it.id: i + 1 for i, it in enumerate(sim.items)}
    sequences = []
    for rows in per.values():
        skills = [skill_id[s] for _, sk, _ in rows for s in sk]
        correct = [int(c) for _, sk, c in rows for _ in sk]
        problems = [problem_id[item] for item, sk, _ in rows for _ in sk]
        sequences.append(
            InteractionSequence(np.array(skills), np.array(correct), np.array(problems))
        )
    bkt = BKT(seed=seed).fit(sequences, n_skills=len(sim.skills))
    learner_model = bkt if KT_MODEL == "bkt" else make_model(KT_MODEL)
    if learner_model is not bkt:
        learner_model.fit(sequences, n_skills=len(sim.skills), n_problems=len(sim.items))
    attempts = [(item, sk[0], c) for rows in per.values() for item, sk, c in rows]
    counts: dict[str, int] = {}
    wins: dict[str, int] = {}
    for item, _, c in attempts:
        counts[item] = counts.get(item, 0) + 1
        wins[item] = wins.get(item, 0) + int(c)
    catalog = Catalog(
        ContentItem(
            it.id,
            it.skill_ids,
            1.0,
            (wins.get(it.id, 0) + 1) / (counts.get(it.id, 0) + 2),
            float(counts.get(it.id, 0)),
        )
        for it in sim.items
    )
    tracker = KTMasteryTracker(
        learner_model,
        skill_id,
        item_offsets=item_offsets_from_log(attempts) if KT_MODEL != "bestlr" else None,
        problem_ids=problem_id,
        ability_prior=ABILITY_PRIOR,
    )
    snapshots = _mastery_snapshots(bkt, per, skill_id)
    upper = mine_prerequisites(
        list(sim.skills),
        np.concatenate(true_snapshots),
        threshold=0.5,
        max_violation=0.0,
        min_support=20,
    )
    edges = mine_prerequisites(
        list(sim.skills), snapshots, item_skills=[it.skill_ids for it in sim.items], **miner
    )
    truth = sim.true_graph
    curated = {s: sorted(truth.predecessors(s)) for s in sim.skills}
    popularity = sorted(catalog.items, key=lambda i: (-catalog.items[i].popularity, i))
    learn_rates = {s: float(bkt.params_["learn"][skill_id[s]]) for s in sim.skills}
    return World(
        sim,
        catalog,
        tracker,
        learn_rates,
        curated,
        dict(edges_to_mapping(edges, list(sim.skills))),
        score_edges([(e.prerequisite, e.dependent) for e in edges], sim.prerequisite_edges),
        score_edges([(e.prerequisite, e.dependent) for e in upper], sim.prerequisite_edges),
        popularity,
    )


def _mastery_snapshots(
    bkt: BKT, per: dict[str, list[tuple[str, tuple[str, ...], bool]]], skill_id: dict[str, int]
) -> np.ndarray:
    """BKT mastery of every learner every ``SNAPSHOT_EVERY`` answers (rows) × skill (columns)."""
    skills = list(skill_id.values())
    rows = []
    for answers in per.values():
        state = bkt.init_state()
        for n, (_, sk, correct) in enumerate(answers, start=1):
            state = bkt.update(state, KTEvent(tuple(skill_id[s] for s in sk), correct))
            if n % SNAPSHOT_EVERY == 0 or n == len(answers):
                m = bkt.mastery(state, skills)
                rows.append([m[s] for s in skills])
    return np.array(rows)


# ---------------------------------------------------------------------- policies
def run_builtin(world: World, policy: Any, steps: int) -> np.ndarray:
    sim = world.sim.clone()
    before = sim.mastery_matrix().mean(axis=1)
    sim.generate(steps, policy=policy)
    return np.asarray(sim.mastery_matrix().mean(axis=1) - before)


def popularity_policy(world: World) -> Callable[[LearnerSimulator, str], str]:
    order = world.popularity_order
    step: dict[str, int] = {}

    def choose(_: LearnerSimulator, learner: str) -> str:
        n = step.get(learner, 0)
        step[learner] = n + 1
        return order[n % len(order)]

    return choose


def oracle_policy(world: World) -> Callable[[LearnerSimulator, str], str]:
    """Greedy on the true expected knowledge gain of each item (simulator's equations)."""
    base = world.sim
    cfg, graph = base.config, base.true_graph
    index = {s: i for i, s in enumerate(base.skills)}
    rates = np.array([graph.nodes[s]["learn_rate"] for s in base.skills])
    parents = [[index[p] for p in graph.predecessors(s)] for s in base.skills]
    item_skills = np.array(
        [[index[s] for s in it.skill_ids] + [-1] * (2 - len(it.skill_ids)) for it in base.items]
    )
    speed = dict(
        zip(base.learner_ids, np.exp(cfg.ability_learning_weight * base.abilities), strict=True)
    )
    ids = [it.id for it in base.items]

    def choose(sim: LearnerSimulator, learner: str) -> str:
        k = np.fromiter(sim.mastery(learner).values(), dtype=np.float64)
        gate = np.ones_like(k)
        for s, ps in enumerate(parents):
            if ps:
                weakest = k[ps].min()
                f = cfg.prereq_gate_floor
                gate[s] = f + (1 - f) / (1 + np.exp(-(weakest - cfg.mastery_threshold) / 0.05))
        per_skill = rates * gate * (1 - k)
        p = sim.item_probabilities(learner)
        gain = np.where(item_skills >= 0, per_skill[np.maximum(item_skills, 0)], 0.0).sum(axis=1)
        gain *= speed[learner] * zpd_multiplier(p, cfg) * (p + (1 - p) * cfg.wrong_answer_learning)
        return ids[int(np.argmax(gain))]

    return choose


def run_adaptive(
    world: World, prerequisites: dict[str, list[str]], steps: int, params: dict[str, Any]
) -> np.ndarray:
    """Our KT+ZPD policy: learner-model state per learner, updated after every answer."""
    sim = world.sim.clone()
    reranker = ZPDReranker(
        prerequisites,
        world.catalog,
        world.tracker,
        learn_rates=world.learn_rates if params.get("use_rates", True) else None,
        **{k: v for k, v in params.items() if k != "use_rates"},
    )
    policy = AdaptivePolicy(reranker)
    states: dict[str, LearnerState] = {
        learner: world.tracker.new_state(now=_days(sim, sim.now(learner)))
        for learner in sim.learner_ids
    }
    before = sim.mastery_matrix().mean(axis=1)

    def choose(s: LearnerSimulator, learner: str) -> str:
        state = states[learner]
        states[learner] = replace(state, now=_days(s, s.now(learner)))
        item = policy.next_item(states[learner])
        assert item is not None
        return item.item_id

    for _ in range(steps):
        for e in sim.generate(1, policy=choose):
            states[e.learner_id] = world.tracker.observe(
                states[e.learner_id],
                world.catalog.items[e.object.id],
                _correct(e),
                at=_days(sim, e.timestamp),
            )
    return np.asarray(sim.mastery_matrix().mean(axis=1) - before)


class _TrueKnowledge:
    """Estimator reading the simulator's true state (for the diagnostic row only).

    ``state.model_state`` holds the true P(correct) of every item at decision time, computed
    once per decision (``LearnerSimulator.item_probabilities``) instead of once per item.
    """

    def p_correct(self, state: LearnerState, item: ContentItem) -> float:
        return float(state.model_state[item.id])

    def prior_mastery(self, skill: str) -> float:
        return 0.0


def run_true_state(world: World, steps: int, params: dict[str, Any]) -> np.ndarray:
    """The same re-ranker fed with true knowledge and true P(correct): policy logic alone."""
    sim = world.sim.clone()
    reranker = ZPDReranker(
        world.curated,
        world.catalog,
        _TrueKnowledge(),
        learn_rates=world.learn_rates,
        **{k: v for k, v in params.items() if k != "use_rates"},
    )
    policy = AdaptivePolicy(reranker)
    item_ids = [it.id for it in sim.items]
    seen: dict[str, dict[str, int]] = {learner: {} for learner in sim.learner_ids}
    before = sim.mastery_matrix().mean(axis=1)

    def choose(s: LearnerSimulator, learner: str) -> str:
        probabilities = dict(zip(item_ids, s.item_probabilities(learner).tolist(), strict=True))
        state = LearnerState(
            mastery=s.mastery(learner), seen=seen[learner], model_state=probabilities
        )
        item = policy.next_item(state)
        assert item is not None
        return item.item_id

    for _ in range(steps):
        for e in sim.generate(1, policy=choose):
            counts = seen[e.learner_id]
            counts[e.object.id] = counts.get(e.object.id, 0) + 1
    return np.asarray(sim.mastery_matrix().mean(axis=1) - before)


# ---------------------------------------------------------------------- aggregation
def mean_ci(values: list[float]) -> tuple[float, float]:
    """Mean and half-width of the 95 % t confidence interval (0 for one value)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size < 2:
        return float(arr.mean()), 0.0
    half = stats.t.ppf(0.975, arr.size - 1) * arr.std(ddof=1) / np.sqrt(arr.size)
    return float(arr.mean()), float(half)


def evaluate_seed(
    seed: int,
    n: int,
    steps: int,
    hist: tuple[int, int],
    policy_params: dict[str, Any],
    miner: dict[str, Any],
    which: tuple[str, ...],
) -> dict[str, Any]:
    started = time.perf_counter()
    world = build_world(seed, n, hist[0], hist[1], miner)
    runners: dict[str, Callable[[], np.ndarray]] = {
        "random": lambda: run_builtin(world, "random", steps),
        "popularity": lambda: run_builtin(world, popularity_policy(world), steps),
        "curriculum": lambda: run_builtin(world, "curriculum", steps),
        "KT+ZPD (curated graph)": lambda: run_adaptive(world, world.curated, steps, policy_params),
        "KT+ZPD (mined graph)": lambda: run_adaptive(world, world.mined, steps, policy_params),
        "KT+ZPD (no graph)": lambda: run_adaptive(world, {}, steps, policy_params),
        "ZPD re-ranker on true knowledge (diagnostic)": lambda: run_true_state(
            world, steps, {**policy_params, **TRUE_KNOWLEDGE_PARAMS}
        ),
        "oracle": lambda: run_builtin(world, oracle_policy(world), steps),
    }
    gains, seconds = {}, {}
    for name in which:
        t0 = time.perf_counter()
        gains[name] = float(runners[name]().mean())
        seconds[name] = time.perf_counter() - t0
        print(f"  seed {seed} {name}: gain {gains[name]:.4f} ({seconds[name]:.0f}s)", flush=True)
    s, u = world.mined_scores, world.true_knowledge_scores
    print(f"  seed {seed} mining on true knowledge (diagnostic): F1 {u.f1:.2f}", flush=True)
    print(
        f"  seed {seed} mined graph: P {s.precision:.2f} R {s.recall:.2f} F1 {s.f1:.2f} "
        f"({time.perf_counter() - started:.0f}s)",
        flush=True,
    )
    return {
        "seed": seed,
        "gains": gains,
        "seconds": seconds,
        "mined_true_knowledge": {"precision": u.precision, "recall": u.recall, "f1": u.f1},
        "mined": {
            "precision": s.precision,
            "recall": s.recall,
            "f1": s.f1,
            "predicted": s.predicted,
            "true": s.true,
        },
    }


POLICIES = (
    "random",
    "popularity",
    "curriculum",
    "KT+ZPD (curated graph)",
    "KT+ZPD (mined graph)",
    "KT+ZPD (no graph)",
    "ZPD re-ranker on true knowledge (diagnostic)",
    "oracle",
)
OURS = "KT+ZPD (curated graph)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds × 60 learners × 60 steps")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--learners", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument(
        "--tune",
        action="store_true",
        help="evaluate on tuning seeds 100+ (for choosing hyper-parameters)",
    )
    parser.add_argument("--jobs", type=int, default=1, help="seeds run in parallel processes")
    args = parser.parse_args()
    quick = args.quick
    n_seeds = args.seeds or (2 if quick else 10)
    n = args.learners or (60 if quick else 100)
    steps = args.steps or (60 if quick else 100)
    hist = (200, 200) if quick else (500, 300)
    first = 100 if args.tune else 0
    started = time.perf_counter()
    seeds = [first + i for i in range(n_seeds)]
    run = partial(
        evaluate_seed,
        n=n,
        steps=steps,
        hist=hist,
        policy_params=POLICY_PARAMS,
        miner=MINER_PARAMS,
        which=POLICIES,
    )
    if args.jobs > 1:  # seeds are independent: one process per seed
        with ProcessPoolExecutor(min(args.jobs, n_seeds)) as pool:
            per_seed = list(pool.map(run, seeds))
    else:
        per_seed = [run(seed) for seed in seeds]
    write_results(
        per_seed,
        quick=quick,
        tune=args.tune,
        n=n,
        steps=steps,
        hist=hist,
        seconds=time.perf_counter() - started,
        flags="".join(f" {f}" for f, on in (("--quick", quick), ("--tune", args.tune)) if on)
        + (f" --jobs {args.jobs}" if args.jobs > 1 else ""),
    )


def write_results(
    per_seed: list[dict[str, Any]],
    *,
    quick: bool,
    tune: bool,
    n: int,
    steps: int,
    hist: tuple[int, int],
    seconds: float,
    flags: str = "",
) -> None:
    table: dict[str, dict[str, Any]] = {}
    for name in POLICIES:
        mean, ci = mean_ci([r["gains"][name] for r in per_seed])
        table[name] = {
            "gain_mean": mean,
            "gain_ci95": ci,
            "per_seed": [r["gains"][name] for r in per_seed],
        }

    def ratio(a: str, b: str) -> tuple[float, float]:
        return mean_ci([r["gains"][a] / r["gains"][b] for r in per_seed])

    vs_curriculum, vs_curriculum_ci = ratio(OURS, "curriculum")
    vs_oracle, vs_oracle_ci = ratio(OURS, "oracle")
    f1, f1_ci = mean_ci([r["mined"]["f1"] for r in per_seed])
    f1_true, f1_true_ci = mean_ci([r["mined_true_knowledge"]["f1"] for r in per_seed])
    precision, _ = mean_ci([r["mined"]["precision"] for r in per_seed])
    recall, _ = mean_ci([r["mined"]["recall"] for r in per_seed])
    results = {
        "gain_ratio_vs_curriculum": vs_curriculum,
        "gain_ratio_vs_oracle": vs_oracle,
        "prereq_f1": f1,
    }
    payload = {
        "benchmark": "path",
        "mode": ("tune" if tune else "quick" if quick else "full"),
        "seeds": [r["seed"] for r in per_seed],
        "learners": n,
        "steps": steps,
        "history": {"learners": hist[0], "events_per_learner": hist[1], "policy": "random"},
        "simulator": "SimulatorConfig defaults (20 skills, 4 layers, 200 items)",
        "ours": OURS,
        "policies": table,
        **results,
        "gain_ratio_vs_curriculum_ci95": vs_curriculum_ci,
        "gain_ratio_vs_oracle_ci95": vs_oracle_ci,
        "prereq_f1_ci95": f1_ci,
        "prereq_precision": precision,
        "prereq_recall": recall,
        "prereq_f1_on_true_knowledge": f1_true,
        "mining": [r["mined"] for r in per_seed],
        "targets": TARGETS,
        "targets_met": {k: results[k] >= v for k, v in TARGETS.items()},
        "policy_params": POLICY_PARAMS,
        "true_knowledge_params": TRUE_KNOWLEDGE_PARAMS,
        "miner_params": MINER_PARAMS,
        "seconds": seconds,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }
    name = "path-tune" if tune else "path"
    out = results_dir(quick)
    (out / f"{name}.json").write_text(json.dumps(payload, indent=1) + "\n")
    curriculum = table["curriculum"]["gain_mean"]
    oracle = table["oracle"]["gain_mean"]
    lines = [
        f"# Learning-path benchmark ({payload['mode']}: {len(per_seed)} seeds × {n} learners × "
        f"{steps} steps)",
        "",
        "Learning gain = post-test minus pre-test true knowledge, averaged over the 20 skills and "
        "the learners; mean ± 95 % CI over seeds.",
        "",
        f"![Learning gain per policy]({name}.svg)",
        "",
        "| policy | gain | × curriculum | × oracle |",
        "|---|---|---|---|",
    ]
    for policy, row in table.items():
        lines.append(
            f"| {policy} | {row['gain_mean']:.4f} ± {row['gain_ci95']:.4f} | "
            f"{row['gain_mean'] / curriculum:.2f} | {row['gain_mean'] / oracle:.2f} |"
        )
    lines += [
        "",
        "| target | value | goal | met |",
        "|---|---|---|---|",
        f"| gain ratio vs curriculum ({OURS}) | {vs_curriculum:.2f} ± {vs_curriculum_ci:.2f} "
        f"| >= 1.3 | {'yes' if vs_curriculum >= 1.3 else '**no**'} |",
        f"| gain ratio vs oracle ({OURS}) | {vs_oracle:.2f} ± {vs_oracle_ci:.2f} | >= 0.8 | "
        f"{'yes' if vs_oracle >= 0.8 else '**no**'} |",
        f"| mined prerequisites F1 (P {precision:.2f}, R {recall:.2f}) | {f1:.2f} ± {f1_ci:.2f} "
        f"| >= 0.7 | {'yes' if f1 >= 0.7 else '**no**'} |",
        "",
        f"Diagnostic: the same miner on the history cohort's *true* knowledge at the same moments "
        f"reaches F1 {f1_true:.2f} ± {f1_true_ci:.2f}: both the BKT estimate of knowledge and "
        "the precedence statistic itself limit mining. Mining uses BKT snapshots every "
        f"{SNAPSHOT_EVERY} answers plus co-tagged items.",
        "",
        f"Rerun: `.venv/bin/python benchmarks/path.py{flags}` ({seconds / 60:.1f} min).",
    ]
    (out / f"{name}.md").write_text("\n".join(lines) + "\n")
    (out / f"{name}.svg").write_text(path_figure(table, ours=OURS, targets=TARGETS))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
