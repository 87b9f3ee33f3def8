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
``prereq_f1``) and path.md. The parts are in ``benchmarks/path_support/``: ``params`` (the
choices above), ``world``, ``policies`` and ``report``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.path_support.params import (  # noqa: E402
    MINER_PARAMS,
    POLICIES,
    POLICY_PARAMS,
    TRUE_KNOWLEDGE_PARAMS,
)
from benchmarks.path_support.policies import (  # noqa: E402
    oracle_policy,
    popularity_policy,
    run_adaptive,
    run_builtin,
    run_true_state,
)
from benchmarks.path_support.report import write_results  # noqa: E402
from benchmarks.path_support.world import build_world  # noqa: E402


def evaluate_seed(
    seed: int,
    n: int,
    steps: int,
    hist: tuple[int, int],
    policy_params: dict[str, Any],
    miner: dict[str, Any],
    which: tuple[str, ...],
) -> dict[str, Any]:
    """Build one seed's world, run every policy in ``which`` in it and score its mined graph."""
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
        "mined": asdict(s),
        "mined_by_evidence": {kind: asdict(e) for kind, e in world.evidence_scores.items()},
    }


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


if __name__ == "__main__":
    main()
