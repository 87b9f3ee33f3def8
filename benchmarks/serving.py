"""Serving benchmark: RES and LPS as real ``bentoml serve`` processes, load from this process.

Setup (in a temporary data dir): the shipped content pack; an MLflow registry whose champion is a
BKT over the College Algebra skills and an item-kNN recommender over catalog items (so every
request scores the recommender for its history); a Feast SQLite online store holding the
activity and per-skill mastery of simulated learners at different points of four courses.

Load: an open-loop asyncio client (aiohttp / grpc.aio) on loopback sends requests on a fixed
schedule; latency is measured from each request's *scheduled* send time (no coordinated
omission). Request mix: 80 % known learners (course filter, their last 5 items as history),
20 % unknown learners. Runs: warm-up; RES at 200 req/s; stepped rates until p99 > 50 ms (the
last passing rate is ``res_max_rps``); the same request stream over gRPC and HTTP at 100 req/s
(overhead = gRPC p50 - HTTP p50); LPS ``POST /paths`` to goals a few lessons ahead at 20 req/s.

    nice -n 10 .venv/bin/python benchmarks/serving.py          # ~4 min
    .venv/bin/python benchmarks/serving.py --quick             # ~2 min, shorter runs

Writes ``benchmarks/results/serving.json`` (``res_p50_ms``, ``res_p99_ms``, ``res_max_rps``,
``lps_p99_ms``, ``errors`` and every run) and ``serving.md``. The machine's load average is
recorded with every run: numbers from a busy machine are upper bounds.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.outputs import results_dir  # noqa: E402
from learnloop.commands.serve import serving_process, wait_ready  # noqa: E402
from learnloop.localstack import free_port  # noqa: E402
from learnloop.resources import datasets_dir  # noqa: E402
from learnloop.settings import Settings  # noqa: E402

COURSES = (
    "OpenStax: College Algebra",
    "OpenStax: Elementary Algebra",
    "OpenStax: Pre-Calculus",
    "OpenStax: Introductory Stats",
)
TARGET_RATE, P99_TARGET_MS, MAX_RATE_P99_MS, LPS_P99_TARGET_MS = 200, 20.0, 50.0, 50.0


@dataclass
class Learner:
    learner_id: str
    course_id: str
    history: list[str]
    goal: list[str]


@dataclass
class Run:
    name: str
    protocol: str
    target_rps: float
    achieved_rps: float
    requests: int
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    load_avg_1m: float
    slow: int = 0  # requests slower than MAX_RATE_P99_MS
    server_cpu_ms: float = float("nan")  # CPU of the serving processes per request
    server_gc_ms: float = float("nan")  # GC pauses of the serving processes, whole run
    server_gc_slow: int = 0  # of those, pauses over 20 ms
    client_gc_max_ms: float = 0.0  # longest GC pause of this load process (delays every reply)


# ---------------------------------------------------------------------- setup
def slug(text: str) -> str:
    from serving.content import course_slug

    return course_slug(text)


def population(
    settings: Settings, n: int, seed: int
) -> tuple[list[Learner], dict[str, dict[str, float]]]:
    """Learners part-way through a course: they mastered what its lesson ``at`` needs (earlier
    lessons and every prerequisite, across courses) and nothing after."""
    from features.datasets.content_pack import ContentPack
    from serving.factory import content_dir, content_index

    rng = random.Random(seed)
    pack = ContentPack(content_dir(settings))
    prerequisites = content_index(settings).prerequisites
    learners, mastery = [], {}
    for i in range(n):
        course = pack.course(COURSES[i % len(COURSES)])
        lessons = [le for le in course.lessons if le.learning_objectives and le.problem_ids]
        at = rng.randrange(1, len(lessons) - 5)
        now = [o.skill for o in lessons[at].learning_objectives]
        done = {o.skill for le in lessons[:at] for o in le.learning_objectives}
        done |= set().union(*(prerequisites.ancestors(s) for s in now)) - set(now)
        learner_id = f"bench-{i:04d}"
        mastery[learner_id] = {s: rng.uniform(0.86, 0.99) for s in sorted(done)}
        history = [f"oat-{p}" for p in lessons[at - 1].problem_ids[-5:]]
        goal = [o.skill for o in lessons[at + 3].learning_objectives if o.skill.strip()][:2]
        learners.append(Learner(learner_id, slug(course.course), history, goal))
    return learners, mastery


def register_champion(settings: Settings, pack_dir: Path, learners: list[Learner]) -> None:
    """BKT over College Algebra skills, item-kNN over the learners' items; both champions."""
    import mlflow

    from features.datasets.content_pack import ContentPack
    from models.kt.base import InteractionSequence
    from models.kt.bkt import BKT
    from models.rec import make_recommender
    from pipelines.kt_data import Vocabulary
    from pipelines.registry.tracking import client, configure, experiment_id

    configure(settings)
    pack = ContentPack(pack_dir)
    algebra = pack.course(COURSES[0])
    skills = list(dict.fromkeys(o.skill for le in algebra.lessons for o in le.learning_objectives))
    rng = np.random.default_rng(0)
    sequences = [
        InteractionSequence(
            rng.integers(1, len(skills) + 1, 50), (rng.random(50) < 0.7).astype(np.int8)
        )
        for _ in range(300)
    ]
    folder = settings.data_dir / "to-register"
    (folder / "kt").mkdir(parents=True, exist_ok=True)
    BKT(seed=0, n_restarts=1, max_iter=20).fit(sequences, n_skills=len(skills)).save(
        folder / "kt" / "model.npz"
    )
    Vocabulary(skills, []).save(folder / "kt" / "vocab.json")
    items = [f"oat-{p}" for c in COURSES for le in pack.course(c).lessons for p in le.problem_ids]
    histories = [list(rng.choice(items, 20)) for _ in range(2000)] + [lr.history for lr in learners]
    make_recommender("itemknn").fit(histories).save(folder / "rec")
    mlflow_client = client(settings)
    with mlflow.start_run(experiment_id=experiment_id(settings)) as run:
        mlflow.log_artifacts(str(folder / "kt"), "kt")
        mlflow.log_artifacts(str(folder / "rec"), "rec")
    for name, path in (
        (settings.mlflow.kt_model_name, "kt"),
        (settings.mlflow.rec_model_name, "rec"),
    ):
        mlflow_client.create_registered_model(name)
        version = mlflow_client.create_model_version(
            name, f"{run.info.artifact_uri}/{path}", run_id=run.info.run_id
        ).version
        mlflow_client.set_registered_model_alias(name, "champion", str(version))


def fill_feature_store(settings: Settings, mastery: dict[str, dict[str, float]]) -> None:
    import pandas as pd
    from feast.data_source import PushMode

    from features.feature_repo.store import apply, open_store

    store = open_store(settings)
    apply(settings, store)
    now = datetime.now(UTC)
    rows = [
        {
            "learner_id": lid,
            "skill_id": s,
            "event_timestamp": now,
            "mastery": m,
            "mastery_model_version": "bkt@bench",
        }
        for lid, skills in mastery.items()
        for s, m in skills.items()
    ]
    store.push("skill_mastery_push", pd.DataFrame(rows), to=PushMode.ONLINE)
    activity = [
        {
            "learner_id": lid,
            "event_timestamp": now,
            "event_count": len(skills) * 4,
            "attempt_count": len(skills) * 3,
            "correct_count": len(skills) * 2,
            "accuracy": 0.66,
            "attempt_count_7d": 20,
            "correct_count_7d": 14,
            "accuracy_7d": 0.68,
            "last_event_unix": int(now.timestamp()),
            "recent_items": [],
        }
        for lid, skills in mastery.items()
    ]
    store.push("learner_activity_push", pd.DataFrame(activity), to=PushMode.ONLINE)


# ---------------------------------------------------------------------- load
def bodies(learners: list[Learner], n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        if rng.random() < 0.2:
            out.append(
                {
                    "learner_id": f"unknown-{seed}-{i}",
                    "k": 10,
                    "course_id": rng.choice(learners).course_id,
                }
            )
        else:
            lr = rng.choice(learners)
            out.append(
                {
                    "learner_id": lr.learner_id,
                    "k": 10,
                    "course_id": lr.course_id,
                    "history": lr.history,
                }
            )
    return out


def cpu_meter(*pids: int) -> Any:
    """Seconds of CPU (user + system) the processes ``pids`` and their children have used:
    what a request costs the servers, whatever else the machine runs meanwhile."""
    import psutil

    def used() -> float:
        total = 0.0
        for pid in pids:
            root = psutil.Process(pid)
            for process in [root, *root.children(recursive=True)]:
                try:
                    times = process.cpu_times()
                except psutil.NoSuchProcess:
                    continue
                total += times.user + times.system
        return total

    return used


def summarise(
    name: str, protocol: str, rate: float, latencies: list[float], errors: int, wall: float
) -> Run:
    ms = np.array(latencies) * 1000 if latencies else np.array([np.nan])
    return Run(
        name=name,
        protocol=protocol,
        target_rps=rate,
        achieved_rps=round(len(latencies) / wall, 1) if wall else 0.0,
        requests=len(latencies) + errors,
        errors=errors,
        p50_ms=round(float(np.percentile(ms, 50)), 2),
        p90_ms=round(float(np.percentile(ms, 90)), 2),
        p99_ms=round(float(np.percentile(ms, 99)), 2),
        max_ms=round(float(ms.max()), 2),
        load_avg_1m=round(os.getloadavg()[0], 2),
        slow=int((ms > MAX_RATE_P99_MS).sum()),
    )


class PauseClock:
    """GC pauses of this (load) process: a collection stops the event loop, so every
    reply waiting meanwhile reads late. The heap is frozen after set-up to keep them short."""

    def __init__(self) -> None:
        self.started = 0.0
        self.longest = 0.0
        gc.callbacks.append(self)

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.longest = max(self.longest, time.perf_counter() - self.started)

    def lap(self) -> float:
        """Longest pause (ms) since the last lap."""
        longest, self.longest = self.longest, 0.0
        return round(longest * 1000, 2)


def gc_pauses(text: str) -> tuple[float, float]:
    """Seconds of GC pauses and pauses over 20 ms in a ``/metrics`` page (all workers)."""
    total = count = fast = 0.0
    for line in text.splitlines():
        if line.startswith("learnloop_gc_pause_seconds_sum"):
            total += float(line.rsplit(" ", 1)[1])
        elif line.startswith("learnloop_gc_pause_seconds_count"):
            count += float(line.rsplit(" ", 1)[1])
        elif line.startswith("learnloop_gc_pause_seconds_bucket") and 'le="0.02"' in line:
            fast += float(line.rsplit(" ", 1)[1])
    return total, count - fast


async def open_loop(
    name: str,
    protocol: str,
    rate: float,
    duration: float,
    send: Any,
    payloads: list[Any],
    cpu: Any = None,
    metrics: Any = None,
    pauses: PauseClock | None = None,
) -> Run:
    loop = asyncio.get_running_loop()
    n = max(1, int(rate * duration))
    latencies: list[float] = []
    errors = 0
    start = loop.time() + 0.1

    async def fire(i: int, due: float) -> None:
        nonlocal errors
        try:
            ok = await send(payloads[i % len(payloads)])
        except Exception:
            ok = False
        if ok:
            latencies.append(loop.time() - due)
        else:
            errors += 1

    gc_before = gc_pauses(await metrics()) if metrics else (0.0, 0.0)  # before the CPU window
    began, cpu_before = time.perf_counter(), cpu() if cpu else 0.0
    if pauses:
        pauses.lap()
    in_flight: set[asyncio.Task[None]] = set()
    for i in range(n):  # each request started at its time: only those in flight are alive
        due = start + i / rate
        await asyncio.sleep(max(0.0, due - loop.time()))
        task = asyncio.create_task(fire(i, due))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    await asyncio.gather(*in_flight)
    run = summarise(name, protocol, rate, latencies, errors, time.perf_counter() - began)
    if cpu:
        run.server_cpu_ms = round((cpu() - cpu_before) * 1000 / n, 2)
    if metrics:
        after = gc_pauses(await metrics())
        run.server_gc_ms = round((after[0] - gc_before[0]) * 1000, 1)
        run.server_gc_slow = int(after[1] - gc_before[1])
    if pauses:
        run.client_gc_max_ms = pauses.lap()
    return run


def http_sender(session: Any, url: str, *, status: int = 200) -> Any:
    async def send(body: dict[str, Any]) -> bool:
        async with session.post(url, json=body) as answer:
            await answer.read()
            return answer.status == status

    return send


def grpc_sender(stub: Any) -> Any:
    from serving.proto import recommender_pb2 as pb

    async def send(body: dict[str, Any]) -> bool:
        request = pb.RecommendRequest(
            learner_id=body["learner_id"],
            k=body["k"],
            course_id=body.get("course_id", ""),
            history=body.get("history", []),
        )
        reply = await stub.Recommend(request, timeout=5)
        return bool(reply.items)

    return send


async def drive(
    args: argparse.Namespace, urls: dict[str, str], learners: list[Learner], pids: dict[str, int]
) -> list[Run]:
    import aiohttp
    import grpc

    from serving.proto import recommender_pb2_grpc as pb_grpc

    seconds = 5 if args.quick else 15
    runs: list[Run] = []
    pauses = PauseClock()
    connector = aiohttp.TCPConnector(limit=256)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def scrape(*services: str) -> str:
            pages = []
            for service in services:
                async with session.get(f"{urls[service]}/metrics") as answer:
                    pages.append(await answer.text())
            return "\n".join(pages)

        res_cpu = {"cpu": cpu_meter(pids["res"]), "metrics": lambda: scrape("res")}
        both_cpu = {
            "cpu": cpu_meter(pids["res"], pids["lps"]),
            "metrics": lambda: scrape("res", "lps"),
        }
        res_cpu["pauses"] = both_cpu["pauses"] = pauses
        res = http_sender(session, f"{urls['res']}/recommendations")
        payloads = bodies(learners, 4000, seed=1)
        await open_loop("warm-up", "http", 100, 4 if args.quick else 10, res, payloads)
        runs.append(
            await open_loop(
                "RES at 200 req/s", "http", TARGET_RATE, 2 * seconds, res, payloads, **res_cpu
            )
        )
        # up from the target rate while the steps pass; down from it when it does not
        rates = args.rates if sustained(runs[-1]) else args.lower_rates
        for rate in rates:
            step = await open_loop(
                f"RES step {rate} req/s", "http", rate, seconds, res, payloads, **res_cpu
            )
            runs.append(step)
            if sustained(step) != (rates is args.rates):
                break
        channel = grpc.aio.insecure_channel(urls["grpc"])
        stub = pb_grpc.RecommenderStub(channel)
        same = bodies(learners, 2000, seed=2)
        await open_loop("gRPC warm-up", "grpc", 50, 2, grpc_sender(stub), same)
        runs.append(
            await open_loop("RES HTTP, 100 req/s", "http", 100, seconds, res, same, **res_cpu)
        )
        runs.append(
            await open_loop(
                "RES gRPC, 100 req/s", "grpc", 100, seconds, grpc_sender(stub), same, **res_cpu
            )
        )
        await channel.close()
        lps = http_sender(session, f"{urls['lps']}/paths", status=201)
        goals = [{"learner_id": lr.learner_id, "goal_skills": lr.goal} for lr in learners]
        await open_loop("LPS warm-up", "http", 10, 2, lps, goals)
        runs.append(
            await open_loop(
                "LPS POST /paths, 20 req/s", "http", 20, 2 * seconds, lps, goals, **both_cpu
            )
        )
    return runs


# ---------------------------------------------------------------------- report
def sustained(run: Run) -> bool:
    """Whether a fixed-rate run kept up: p99 within the max-rate bound, no errors."""
    return (
        run.p99_ms <= MAX_RATE_P99_MS
        and not run.errors
        and run.achieved_rps >= 0.9 * run.target_rps
    )


def report(runs: list[Run], args: argparse.Namespace, setup: dict[str, Any]) -> dict[str, Any]:
    main = next(r for r in runs if r.name == "RES at 200 req/s")
    steps = [r for r in runs if r.name.startswith("RES step") or r is main]
    passing = [r.target_rps for r in steps if sustained(r)]
    http100 = next(r for r in runs if r.name == "RES HTTP, 100 req/s")
    grpc100 = next(r for r in runs if r.name == "RES gRPC, 100 req/s")
    lps = next(r for r in runs if r.name.startswith("LPS POST"))
    errors = sum(r.errors for r in runs)
    summary = {
        "res_p50_ms": main.p50_ms,
        "res_slow_requests": main.slow,
        "res_p99_ms": main.p99_ms,
        "res_max_rps": max(passing) if passing else 0,
        "lps_p99_ms": lps.p99_ms,
        "errors": errors,
        "grpc_p50_ms": grpc100.p50_ms,
        "http_p50_ms": http100.p50_ms,
        "grpc_minus_http_p50_ms": round(grpc100.p50_ms - http100.p50_ms, 2),
        "res_cpu_ms_per_request": main.server_cpu_ms,
        "lps_cpu_ms_per_request": lps.server_cpu_ms,
        "targets": {
            "res_p99_ms_at_200_rps": P99_TARGET_MS,
            "lps_p99_ms": LPS_P99_TARGET_MS,
            "max_rps_p99_ms": MAX_RATE_P99_MS,
            "errors": 0,
        },
        "met": {
            "res_p99": main.p99_ms <= P99_TARGET_MS,
            "lps_p99": lps.p99_ms <= LPS_P99_TARGET_MS,
            "errors": errors == 0,
        },
        "quick": args.quick,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_avg_at_end": os.getloadavg(),
        },
        "setup": setup,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "runs": [asdict(r) for r in runs],
    }
    out = results_dir(args.quick)
    (out / "serving.json").write_text(json.dumps(summary, indent=1) + "\n")
    lines = [
        "# Serving benchmark (RES / LPS)",
        "",
        f"`benchmarks/serving.py{' --quick' if args.quick else ''}`, {summary['measured_at']}, "
        f"{os.cpu_count()} CPUs; load from a second process on loopback, open loop, latency "
        "from the scheduled send time. `load` is the machine's 1-minute load average after the "
        "run (other work on the machine inflates the numbers); `server CPU ms/req` is the CPU "
        "time the serving processes used per request (RES; RES + LPS for LPS runs), which "
        "other work does not inflate; `server GC ms` the garbage-collector pauses of those "
        "processes during the run (`learnloop_gc_pause_seconds`, how many over 20 ms); "
        "`load-process GC max` the longest collection of the load generator (it delays every "
        "reply in flight; its set-up heap is frozen before the runs).",
        "",
        "| run | protocol | target req/s | achieved | requests | errors "
        f"| p50 ms | p90 ms | p99 ms | max ms | > {MAX_RATE_P99_MS:g} ms | load "
        "| server CPU ms/req | server GC ms (> 20 ms) | load-process GC max ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.name} | {r.protocol} | {r.target_rps:g} | {r.achieved_rps:g} | {r.requests} "
        f"| {r.errors} | {r.p50_ms} | {r.p90_ms} | {r.p99_ms} | {r.max_ms} | {r.slow} "
        f"| {r.load_avg_1m} | {r.server_cpu_ms} | {r.server_gc_ms} ({r.server_gc_slow}) "
        f"| {r.client_gc_max_ms} |"
        for r in runs
    ]
    met = {k: "met" if ok else "**missed**" for k, ok in summary["met"].items()}
    tried = ", ".join(f"{r.target_rps:g}" for r in steps)
    overhead = summary["grpc_minus_http_p50_ms"]
    lines += [
        "",
        "| result | value | target |",
        "|---|---:|---|",
        f"| RES p50 / p99 at {TARGET_RATE} req/s | {main.p50_ms} / {main.p99_ms} ms "
        f"| p99 ≤ {P99_TARGET_MS:g} ms ({met['res_p99']}) |",
        f"| RES max sustainable rate (p99 ≤ {MAX_RATE_P99_MS:g} ms, no errors) "
        f"| {summary['res_max_rps']} req/s | rates tried: {tried} |",
        f"| LPS p99 | {lps.p99_ms} ms | ≤ {LPS_P99_TARGET_MS:g} ms ({met['lps_p99']}) |",
        f"| gRPC vs HTTP p50 (same requests, 100 req/s) "
        f"| {grpc100.p50_ms} vs {http100.p50_ms} ms ({overhead:+} ms) | — |",
        f"| errors | {errors} | 0 ({met['errors']}) |",
        f"| server CPU per request: RES (HTTP, 200 req/s) / LPS (+ its RES calls) "
        f"| {main.server_cpu_ms} / {lps.server_cpu_ms} ms | — |",
        "",
        f"Setup: {setup['learners']} learners in the online store ({setup['mastery_rows']} "
        f"mastery rows), catalog of {setup['catalog_items']} items; champion: BKT over "
        f"{setup['kt_skills']} skills + item-kNN ({setup['rec_catalog_overlap']} catalog items); "
        f"RES with {setup['res_workers']} BentoML worker(s), LPS with one.",
    ]
    (out / "serving.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="Shorter runs (CI).")
    parser.add_argument("--learners", type=int, default=400)
    parser.add_argument(
        "--rates", type=lambda s: [int(x) for x in s.split(",")], default=[300, 400, 500, 600, 800]
    )
    parser.add_argument(
        "--lower-rates",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[150, 100, 50],
        help="Rates tried, down to the first that passes, when the target rate does not.",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="BentoML workers of RES (default: one per core here).",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the temporary data dir.")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    work = Path(tempfile.mkdtemp(prefix="learnloop-bench-serving-"))
    ports = {name: free_port() for name in ("res", "lps", "grpc")}
    env = {
        "LEARNLOOP_DATA_DIR": str(work / "var"),
        "LEARNLOOP_DATASET_DIR": str(datasets_dir(Settings())),
        "LEARNLOOP_LOG_LEVEL": "WARNING",
        "LEARNLOOP_MLFLOW__TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}",
        "LEARNLOOP_MLFLOW__ARTIFACT_LOCATION": str(work / "artifacts"),
        "LEARNLOOP_SERVING__GRPC_PORT": str(ports["grpc"]),
        "LEARNLOOP_SERVING__REPLAN_CONSUMER": "false",
        "BENTOML_HOME": str(work / "bentoml"),
    }
    os.environ.update(env)
    settings = Settings()
    pack_dir = datasets_dir(settings) / "content"
    processes = []
    try:
        print("setting up: learners, feature store, registry ...", flush=True)
        learners, mastery = population(settings, args.learners, seed=7)
        lps = serving_process("lps", settings, port=ports["lps"], log_path=work / "lps.log").start()
        processes.append(lps)
        fill_feature_store(settings, mastery)
        register_champion(settings, pack_dir, learners)
        mastery_rows = sum(len(m) for m in mastery.values())
        del mastery
        gc.collect()
        gc.freeze()  # Feast, MLflow and the pushed rows: ~1 M objects a full GC would walk
        res = serving_process(
            "res",
            settings,
            port=ports["res"],
            log_path=work / "res.log",
            env={**os.environ, "LEARNLOOP_SERVING__WORKERS": str(args.workers)},
        ).start()
        processes.append(res)
        urls = {
            "res": f"http://127.0.0.1:{ports['res']}",
            "lps": f"http://127.0.0.1:{ports['lps']}",
            "grpc": f"127.0.0.1:{ports['grpc']}",
        }
        wait_ready(res, urls["res"])
        wait_ready(lps, urls["lps"])
        print("RES and LPS ready; load ...", flush=True)
        pids = {"res": res.proc.pid, "lps": lps.proc.pid}  # type: ignore[union-attr]
        runs = asyncio.run(drive(args, urls, learners, pids))
        import httpx

        served = httpx.get(f"{urls['res']}/model").json()
        setup = {
            "learners": len(learners),
            "mastery_rows": mastery_rows,
            "catalog_items": served["catalog"]["items"],
            "kt_skills": served["champion"]["kt_skills_from_model"],
            "rec_catalog_overlap": served["champion"]["rec_catalog_overlap"],
            "res_workers": args.workers,
        }
        report(runs, args, setup)
    finally:
        for process in reversed(processes):
            process.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")


if __name__ == "__main__":
    main()
