"""Soak test: the platform's real processes on loopback under a fixed-rate request mix.

Starts a tansu broker, the gateway (uvicorn, every service; shipped content imported on first
start), RES (``bentoml serve``) and the feature consumer that feeds RES's online store, like
``tests/e2e/test_learner_journey.py``. A second process (this script with ``--drive``) sends an
open-loop schedule at a fixed rate — catalog reads 40 %, event posts 30 %, recommendations 20 %,
logins 10 % — and measures latency from each request's *scheduled* time (no coordinated
omission). This process samples the resident memory (RSS, process tree) of every server at the
start and end of the measured window.

Pass criteria (printed per row): error rate ≤ 0.1 %; p99 within the targets below; RSS growth
per server ≤ ``RSS_GROWTH_BOUND_MB`` over the window. Rate limiting is off (one client IP).

    nice -n 10 .venv/bin/python benchmarks/soak.py            # 3 min at 25 req/s
    .venv/bin/python benchmarks/soak.py --quick               # 40 s at 20 req/s

Writes ``benchmarks/results/soak.json`` and ``soak.md``; exits 1 when the error rate is over.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.outputs import results_dir  # noqa: E402
from learnloop.commands.serve import serving_process, wait_ready  # noqa: E402
from learnloop.localstack import ManagedProcess, free_port, start_broker  # noqa: E402
from learnloop.resources import datasets_dir  # noqa: E402
from learnloop.settings import Settings  # noqa: E402

MIX = (("catalog", 4), ("event", 3), ("recommend", 2), ("login", 1))
# p99 targets (ms): RES as in benchmarks/serving.py; API reads/writes; login hashes a password
# (argon2id, deliberately slow).
P99_TARGET_MS = {"catalog": 100.0, "event": 100.0, "recommend": 20.0, "login": 500.0}
MAX_ERROR_RATE = 0.001
RSS_GROWTH_BOUND_MB = 64.0
PASSWORD = "soak password 123"


# -- driver (second process) ------------------------------------------------------------------
async def _one(client: httpx.AsyncClient, kind: str, plan: dict[str, Any], i: int) -> int:
    learners = plan["learners"]
    learner = learners[i % len(learners)]
    if kind == "catalog":
        course = plan["courses"][i % len(plan["courses"])]
        if i % 2:
            r = await client.get("/catalog/courses", params={"limit": 20})
        else:
            r = await client.get("/catalog/items", params={"course_id": course, "limit": 20})
        return r.status_code
    if kind == "login":
        r = await client.post("/auth/token", json={"email": learner["email"], "password": PASSWORD})
        return r.status_code
    if kind == "event":
        event = {
            "event_id": str(uuid.uuid4()),
            "learner_id": learner["id"],
            "timestamp": datetime.now(UTC).isoformat(),
            "verb": "answered",
            "object": {"id": f"soak-item-{i % 50}", "type": "problem"},
            "skill_ids": [f"soak-skill-{i % 7}"],
            "result": {"correct": bool(i % 3), "duration_s": 12.0},
        }
        headers = {"Authorization": f"Bearer {learner['token']}"}
        r = await client.post("/events", json=event, headers=headers)
        return r.status_code
    body = {"learner_id": learner["id"], "k": 5, "course_id": plan["courses"][i % 4]}
    r = await client.post(f"{plan['res_url']}/recommendations", json=body)
    return r.status_code


async def _drive(plan: dict[str, Any]) -> list[tuple[str, int, float, float]]:
    """Open loop: request ``i`` is due at ``start + i / rate``; latency counts from then."""
    kinds = [kind for kind, weight in MIX for _ in range(weight)]
    rate, total = plan["rate"], int(plan["rate"] * plan["duration_s"])
    out: list[tuple[str, int, float, float]] = []
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=plan["url"], timeout=10, limits=limits) as client:

        async def run(i: int, due: float) -> None:
            kind = kinds[i % len(kinds)]
            try:
                status = await _one(client, kind, plan, i)
            except httpx.HTTPError:
                status = -1
            out.append((kind, status, (time.perf_counter() - due) * 1000, due - start))

        start = time.perf_counter()
        tasks = []
        for i in range(total):
            due = start + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(run(i, due)))
        await asyncio.gather(*tasks)
    return out


def drive(plan_path: Path, out_path: Path) -> None:
    """The load generator's entry point (``--drive``)."""
    plan = json.loads(plan_path.read_text())
    out_path.write_text(json.dumps(asyncio.run(_drive(plan))))


# -- platform -----------------------------------------------------------------------------------
def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, MiB."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return float("nan")
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 2**20


def _env(data_dir: Path, broker_port: int, api_port: int, res_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LEARNLOOP_DATA_DIR": str(data_dir),
        "LEARNLOOP_DATASET_DIR": str(datasets_dir(Settings())),
        "LEARNLOOP_API__PORT": str(api_port),
        "LEARNLOOP_KAFKA__BOOTSTRAP_SERVERS": f"127.0.0.1:{broker_port}",
        "LEARNLOOP_KAFKA__SESSION_TIMEOUT_MS": "6000",
        "LEARNLOOP_KAFKA__HEARTBEAT_INTERVAL_MS": "1000",
        "LEARNLOOP_SERVING__RES_PORT": str(res_port),
        "LEARNLOOP_SERVING__GRPC_PORT": str(free_port()),
        "LEARNLOOP_RATE_LIMIT__ENABLED": "false",
        "LEARNLOOP_LOG_LEVEL": "WARNING",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "BENTOML_DO_NOT_TRACK": "true",
        "DO_NOT_TRACK": "1",
    }


def _wait_ready(process: ManagedProcess, url: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or not process.running:
            raise RuntimeError(f"{process.name} not ready:\n{process.log_tail()}")
        time.sleep(0.5)


def _learners(url: str, n: int) -> list[dict[str, str]]:
    out = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for i in range(n):
            email = f"soak-{i}-{uuid.uuid4().hex[:6]}@example.com"
            made = client.post(
                "/auth/register",
                json={"email": email, "password": PASSWORD, "full_name": f"Soak {i}"},
            )
            made.raise_for_status()
            token = client.post("/auth/token", json={"email": email, "password": PASSWORD})
            token.raise_for_status()
            access = token.json()["access_token"]
            me = client.get("/auth/userinfo", headers={"Authorization": f"Bearer {access}"})
            out.append({"email": email, "token": access, "id": me.json()["sub"]})
    return out


def summarize(records: list[list[Any]], warmup_s: float) -> dict[str, dict[str, float]]:
    """Per request type: count, errors, error rate, p50/p99 (ms), after the warm-up."""
    rows: dict[str, dict[str, float]] = {}
    ok = {"catalog": {200}, "event": {202}, "recommend": {200}, "login": {200}}
    for kind, _ in MIX:
        mine = [r for r in records if r[0] == kind and r[3] >= warmup_s]
        latencies = np.array([r[2] for r in mine]) if mine else np.array([np.nan])
        errors = sum(1 for r in mine if r[1] not in ok[kind])
        rows[kind] = {
            "requests": len(mine),
            "errors": errors,
            "error_rate": errors / max(1, len(mine)),
            "p50_ms": float(np.percentile(latencies, 50)),
            "p99_ms": float(np.percentile(latencies, 99)),
            "p99_target_ms": P99_TARGET_MS[kind],
        }
    return rows


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Soak: {result['duration_s']:.0f} s at {result['rate']} req/s "
        f"(+{result['warmup_s']:.0f} s warm-up), load avg {result['load_avg']}, "
        f"{result['cpus']} CPUs",
        "",
        "| request | requests | errors | error rate | p50 ms | p99 ms | p99 target ms | ok |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for kind, r in result["requests"].items():
        met = r["error_rate"] <= MAX_ERROR_RATE and r["p99_ms"] <= r["p99_target_ms"]
        lines.append(
            f"| {kind} | {r['requests']:.0f} | {r['errors']:.0f} | {100 * r['error_rate']:.2f} % "
            f"| {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['p99_target_ms']:.0f} "
            f"| {'yes' if met else '**no**'} |"
        )
    total = result["total"]
    lines.append(
        f"| **all** | {total['requests']} | {total['errors']} | "
        f"{100 * total['error_rate']:.2f} % (≤ {100 * MAX_ERROR_RATE:.1f} %) | | | | "
        f"{'yes' if total['error_rate'] <= MAX_ERROR_RATE else '**no**'} |"
    )
    lines += [
        "",
        "| process | RSS start MiB | RSS end MiB | growth MiB "
        f"(≤ {RSS_GROWTH_BOUND_MB:.0f}) | ok |",
        "|---|---:|---:|---:|---|",
    ]
    for name, m in result["rss_mb"].items():
        growth = m["end"] - m["start"]
        ok = "yes" if growth <= RSS_GROWTH_BOUND_MB else "**no**"
        lines.append(f"| {name} | {m['start']:.0f} | {m['end']:.0f} | {growth:+.0f} | {ok} |")
    return "\n".join(lines) + "\n"


def run(duration_s: float, rate: float, warmup_s: float, learners: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="learnloop-soak-"))
    broker = start_broker(work / "broker")
    api_port, res_port = free_port(), free_port()
    env = _env(work, broker.port, api_port, res_port)
    argv = [sys.executable, "-m", "uvicorn", "services.gateway.app:create_app", "--factory"]
    argv += ["--host", "127.0.0.1", "--port", str(api_port), "--log-level", "warning"]
    gateway = ManagedProcess(
        "gateway", argv, port=api_port, log_path=work / "gateway.log", env=env, cwd=ROOT,
        startup_timeout=300,
    )  # fmt: skip
    metrics = free_port()
    features = [sys.executable, "-m", "learnloop.cli", "ingest", "features"]
    consumer = ManagedProcess(
        "feature-consumer", [*features, "--metrics-port", str(metrics)],
        port=metrics, log_path=work / "features.log", env=env, cwd=ROOT,
    )  # fmt: skip
    res = serving_process(
        "res", Settings(data_dir=work), port=res_port, log_path=work / "res.log", env=env
    )
    url, res_url = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{res_port}"
    with broker, gateway, consumer, res:
        print("starting: gateway (content import), feature consumer, RES ...", flush=True)
        _wait_ready(gateway, url)
        wait_ready(res, res_url)
        courses = httpx.get(f"{url}/catalog/courses", params={"limit": 4}).json()["data"]
        plan = {
            "url": url,
            "res_url": res_url,
            "rate": rate,
            "duration_s": duration_s + warmup_s,
            "courses": [c["id"] for c in courses],
            "learners": _learners(url, learners),
        }
        (work / "plan.json").write_text(json.dumps(plan))
        servers = {"gateway": gateway, "res": res, "feature-consumer": consumer, "broker": broker}
        pids = {name: p.proc.pid for name, p in servers.items() if p.proc is not None}
        print(f"driving {rate} req/s for {warmup_s:.0f}+{duration_s:.0f} s ...", flush=True)
        driver = subprocess.Popen(
            [sys.executable, __file__, "--drive", str(work / "plan.json"), str(work / "out.json")]
        )
        time.sleep(warmup_s)
        rss = {name: {"start": rss_mb(pid)} for name, pid in pids.items()}
        if driver.wait(timeout=duration_s + warmup_s + 120):
            raise RuntimeError("the load driver failed")
        for name, pid in pids.items():
            rss[name]["end"] = rss_mb(pid)
        records = json.loads((work / "out.json").read_text())
    requests = summarize(records, warmup_s)
    count = sum(int(r["requests"]) for r in requests.values())
    errors = sum(int(r["errors"]) for r in requests.values())
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_avg": [round(x, 1) for x in os.getloadavg()],
        "duration_s": duration_s,
        "warmup_s": warmup_s,
        "rate": rate,
        "requests": requests,
        "total": {"requests": count, "errors": errors, "error_rate": errors / max(1, count)},
        "rss_mb": rss,
        "targets": {
            "max_error_rate": MAX_ERROR_RATE,
            "p99_ms": P99_TARGET_MS,
            "rss_growth_mb": RSS_GROWTH_BOUND_MB,
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="40 s at 20 req/s (CI)")
    parser.add_argument("--duration", type=float, default=None, help="measured seconds")
    parser.add_argument("--rate", type=float, default=None, help="requests per second")
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--drive", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        drive(*args.drive)
        return 0
    duration = args.duration or (40.0 if args.quick else 180.0)
    rate = args.rate or (20.0 if args.quick else 25.0)
    result = run(duration, rate, warmup_s=10.0, learners=args.learners)
    out = results_dir(args.quick)
    (out / "soak.json").write_text(json.dumps(result, indent=2) + "\n")
    table = markdown(result)
    (out / "soak.md").write_text(table)
    print(table)
    return 0 if result["total"]["error_rate"] <= MAX_ERROR_RATE else 1


if __name__ == "__main__":
    sys.exit(main())
