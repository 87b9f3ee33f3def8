"""GC pauses of serving processes: timed into a histogram, thresholds raised, reloads frozen."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from serving import heap


@pytest.fixture
def gc_state() -> Iterator[None]:
    """No automatic collections and no timer from earlier tests: only the test's own count."""
    thresholds, callbacks, enabled = gc.get_threshold(), list(gc.callbacks), gc.isenabled()
    gc.callbacks[:] = [c for c in callbacks if not isinstance(c, heap._PauseTimer)]
    gc.disable()
    yield
    gc.set_threshold(*thresholds)
    gc.callbacks[:] = callbacks
    gc.unfreeze()
    if enabled:
        gc.enable()


def pauses(service: str, generation: int) -> float:
    labels = {"service": service, "generation": str(generation)}
    return REGISTRY.get_sample_value("learnloop_gc_pause_seconds_count", labels) or 0.0


def test_every_collection_is_timed_once_per_process(gc_state: None) -> None:
    before = pauses("heap-test", 2), pauses("heap-test", 0)
    heap.watch("heap-test")
    heap.watch("heap-test")  # a second call does not time twice
    gc.collect()
    gc.collect(0)
    assert pauses("heap-test", 2) == before[0] + 1
    assert pauses("heap-test", 0) == before[1] + 1
    total = REGISTRY.get_sample_value(
        "learnloop_gc_pause_seconds_sum", {"service": "heap-test", "generation": "2"}
    )
    assert total is not None and total > 0


def test_tune_raises_thresholds_and_freeze_takes_live_objects(gc_state: None) -> None:
    heap.tune()
    assert gc.get_threshold() == heap.THRESHOLDS
    assert heap.THRESHOLDS[0] > 700  # CPython's default young threshold
    kept = [[i] for i in range(1000)]
    frozen = gc.get_freeze_count()
    heap.freeze_loaded()
    assert gc.get_freeze_count() >= frozen + len(kept)


def test_settle_freezes_the_start_up_heap_and_raises_thresholds(gc_state: None) -> None:
    alive = [[i] for i in range(1000)]
    heap.settle()
    assert gc.get_threshold() == heap.THRESHOLDS
    assert gc.get_freeze_count() >= len(alive)
