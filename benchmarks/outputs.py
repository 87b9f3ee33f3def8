"""Where the benchmarks write their tables.

A full run writes beside the committed results (``benchmarks/results/``); a ``--quick`` run (a
smoke test, CI's ``make bench-quick``) writes under the git-ignored cache, so it never replaces
a full table with a smaller one.
"""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
QUICK_RESULTS = RESULTS / "cache" / "quick"


def results_dir(quick: bool) -> Path:
    """The folder a run writes to (created if missing)."""
    out = QUICK_RESULTS if quick else RESULTS
    out.mkdir(parents=True, exist_ok=True)
    return out
