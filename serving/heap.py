"""Garbage-collector pauses of a serving process: timed, and kept short.

CPython's collector holds the GIL while it runs, so every collection stalls every request of
the process. :func:`watch` times each one into ``learnloop_gc_pause_seconds`` (and logs pauses
over 50 ms). Once a service has started, :func:`settle` freezes everything alive (served
models, the content index, imported modules) out of the collector's way and raises the
collection thresholds, so that objects of in-flight requests are promoted to the old
generation — which a full collection walks — far less often. :func:`freeze_loaded` after a
hot reload puts the new model with the frozen heap.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

from serving.metrics import GC_PAUSE_SECONDS

logger = logging.getLogger(__name__)
SLOW_PAUSE_S = 0.05
# gen0: allocations (net) between young collections; gen1 / gen2: collections of the younger
# generation between collections of the next (CPython's defaults: 700, 10, 10). Measured on
# the serving benchmark's load (a RES worker, ~1 min): collector CPU 13-15 ms with these,
# 130-165 ms with the defaults (~220 young, ~20 middle at ~3.7 ms, a full one at ~20 ms); a
# young collection here costs ~6.5 ms CPU, a few times a minute.
THRESHOLDS = (20_000, 20, 20)


class _PauseTimer:
    """A ``gc.callbacks`` entry: wall and CPU time of each collection."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.series = [GC_PAUSE_SECONDS.labels(service, str(g)) for g in range(3)]
        self.started = (0.0, 0.0)

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.started = (time.perf_counter(), time.thread_time())
            return
        wall = time.perf_counter() - self.started[0]
        generation = int(info["generation"])
        self.series[generation].observe(wall)
        if wall >= SLOW_PAUSE_S:
            logger.warning(
                "gc generation %d paused %s for %.0f ms (%.0f ms CPU, %d objects collected)",
                generation,
                self.service,
                wall * 1000,
                (time.thread_time() - self.started[1]) * 1000,
                info["collected"],
            )


def watch(service: str) -> None:
    """Time this process's collections (once per process; later calls do nothing)."""
    if not any(isinstance(c, _PauseTimer) for c in gc.callbacks):
        gc.callbacks.append(_PauseTimer(service))


def tune(thresholds: tuple[int, int, int] = THRESHOLDS) -> None:
    """Raise this process's collection thresholds (see the module docstring)."""
    gc.set_threshold(*thresholds)


def settle(thresholds: tuple[int, int, int] = THRESHOLDS) -> None:
    """After start-up: move everything alive (models, registry, server objects) out of the
    collector's way — a full collection otherwise walks ~0.5 M long-lived objects (~0.3 s, a
    latency spike) while requests wait — and raise the thresholds (:func:`tune`)."""
    gc.collect()
    gc.freeze()
    tune(thresholds)


def freeze_loaded() -> None:
    """Freeze what a reload just built without a full collection (no pause): the model
    leaves the old generation, which would otherwise grow by its objects."""
    gc.freeze()
