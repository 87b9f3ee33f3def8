"""The KT benchmark's latency probe records the host's speed beside what it measures."""

from __future__ import annotations

import math

import torch
from testkit.kt import simulator_sequences, split

from benchmarks.kt_support import latency
from models.kt import make_model


def test_host_speed_names_the_cpu_and_leaves_the_thread_count_alone() -> None:
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        host = latency.host_speed()
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert host["cpu"] and isinstance(host["cpu"], str)
    assert math.isfinite(host["torch_linear_gflops"]) and host["torch_linear_gflops"] > 0


def test_a_latency_measure_carries_the_host_speed_of_its_moment() -> None:
    train, valid, test = split(simulator_sequences(n_learners=60, events=30, seed=3))
    model = make_model("bkt", n_restarts=1).fit(train, valid)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        measured = latency.measure(model, test, repeats=20)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert 0 < measured["query_p50_ms"] <= measured["query_p99_ms"]
    assert set(measured["host"]) == {"cpu", "torch_linear_gflops"}
    assert measured["history_rows"] == latency.HISTORY - 1
