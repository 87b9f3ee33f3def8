"""A daemon thread that runs one pass of work every ``interval_s`` or when woken."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class PeriodicWorker:
    """Call ``work()`` in a background thread every ``interval_s`` seconds and on :meth:`wake`.

    A failing pass is logged and retried on the next tick; :meth:`stop` joins the thread.
    """

    def __init__(self, work: Callable[[], object], *, interval_s: float, name: str):
        self.work = work
        self.interval_s = interval_s
        self.name = name
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """True while the thread runs."""
        return self._thread is not None

    def start(self) -> None:
        """Start the thread (no-op when it already runs)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Run the next pass now instead of at the next tick."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.work()
            except Exception:
                logger.exception("%s pass failed", self.name)
            self._wake.wait(self.interval_s)
            self._wake.clear()

    def stop(self) -> None:
        """Stop the thread and wait for the current pass to finish."""
        if self._thread is None:
            return
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)
        self._thread = None
