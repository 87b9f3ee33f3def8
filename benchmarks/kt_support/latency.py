"""Online latency of a fitted KT model: mastery + next-item probability after a 200-row history."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from models.kt import InteractionSequence, KTEvent

HISTORY = 200


def _history(test: list[InteractionSequence]) -> InteractionSequence:
    """The longest test chunk, padded by repetition to ``HISTORY`` rows."""
    seq = max(test, key=len)
    reps = -(-HISTORY // len(seq))
    problems = None if seq.problems is None else np.tile(seq.problems, reps)[:HISTORY]
    return InteractionSequence(
        np.tile(seq.skills, reps)[:HISTORY], np.tile(seq.correct, reps)[:HISTORY], problems
    )


def _p(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1e3, q))


# a query's typical matrix product: 110 candidate skills (assist2009) x d_model 128 -> 256
PROBE_SHAPE = (110, 128, 256)


def _gflops(product: Any, flops: int, calls: int = 20, samples: int = 15) -> float:
    """Median GFLOP/s of ``product()`` over ``samples`` timings of ``calls`` calls."""
    product()  # warm-up
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        for _ in range(calls):
            product()
        times.append((time.perf_counter() - t0) / calls)
    return flops / float(np.median(times)) / 1e9


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """torch on one thread inside the block (as a serving worker runs a request), the caller's
    thread count restored after it."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``; ``"unknown"`` elsewhere)."""
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:  # pragma: no cover - not Linux
        return "unknown"
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else "unknown"


def host_speed() -> dict[str, Any]:
    """How fast this host runs what a query spends its time on: single-thread GFLOP/s of
    torch's ``F.linear`` at :data:`PROBE_SHAPE`, and the CPU model.

    Stored beside every latency measure, so measures from different hosts (or one host at
    different moments) can be compared: a query's p99 scales with the torch figure.
    """
    import torch
    import torch.nn.functional as F  # noqa: N812

    m, k, n = PROBE_SHAPE
    gen = torch.Generator().manual_seed(0)
    x, w, b = torch.randn(m, k, generator=gen), torch.randn(n, k, generator=gen), torch.zeros(n)
    with one_torch_thread(), torch.inference_mode():
        torch_gflops = _gflops(lambda: F.linear(x, w, b), 2 * m * k * n)
    return {"cpu": cpu_model(), "torch_linear_gflops": round(torch_gflops, 1)}


def measure(model: Any, test: list[InteractionSequence], repeats: int = 300) -> dict[str, Any]:
    """p50/p99 (ms, wall and thread CPU time) of: query = ``mastery(state)`` (every skill) +
    ``predict_next`` on a state holding a 200-row history; update = ``update(state, event)``
    over a stream of ``repeats`` updates starting from that state (the history's rows again,
    in order), so that windowed models pay their window maintenance at its real frequency
    (torch: 1 thread); ``host``: :func:`host_speed` just before."""
    host = host_speed()
    hist = _history(test)
    prefix = InteractionSequence(
        hist.skills[:-1], hist.correct[:-1], None if hist.problems is None else hist.problems[:-1]
    )
    skill = int(hist.skills[-1])
    problem = None if hist.problems is None else int(hist.problems[-1])
    events = [
        KTEvent((int(s),), bool(c), None if p is None else int(p))
        for s, c, p in zip(
            hist.skills,
            hist.correct,
            [None] * HISTORY if hist.problems is None else hist.problems,
            strict=True,
        )
    ]
    with one_torch_thread():
        state = model.state_from_history(prefix)
        model.mastery(state)  # warm-up (lazy tables, allocator)
        query, update, query_cpu, update_cpu = [], [], [], []
        streamed = state
        for i in range(repeats):
            t0, c0 = time.perf_counter(), time.thread_time()
            model.mastery(state)
            model.predict_next(state, [skill], problem)
            t1, c1 = time.perf_counter(), time.thread_time()
            streamed = model.update(streamed, events[i % HISTORY])
            t2, c2 = time.perf_counter(), time.thread_time()
            query.append(t1 - t0)
            update.append(t2 - t1)
            query_cpu.append(c1 - c0)
            update_cpu.append(c2 - c1)
    return {
        "query_p50_ms": _p(query, 50),
        "query_p99_ms": _p(query, 99),
        "update_p50_ms": _p(update, 50),
        "update_p99_ms": _p(update, 99),
        "update_mean_ms": float(np.mean(update) * 1e3),
        # CPU time of the calling thread (torch runs single-threaded here): the service time
        # without the waits for a core that a loaded shared machine adds to the wall time
        "query_cpu_p50_ms": _p(query_cpu, 50),
        "query_cpu_p99_ms": _p(query_cpu, 99),
        "update_cpu_p50_ms": _p(update_cpu, 50),
        "update_cpu_p99_ms": _p(update_cpu, 99),
        "load_1min": os.getloadavg()[0],
        "history_rows": HISTORY - 1,
        "n_skills": len(model.mastery(state)),
        "host": host,
    }
