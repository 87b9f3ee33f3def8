"""Drift statistics between a reference sample and a current sample of one feature."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import stats

EPS = 1e-4
CATEGORICAL_MAX = 10


def _clean(values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    arr = np.asarray(values, dtype=np.float64).ravel()
    return arr[np.isfinite(arr)]


def bin_shares(
    reference: npt.ArrayLike, current: npt.ArrayLike, bins: int = 10
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Shares of reference and current per bin, and the bin edges.

    Few distinct reference values (<= 10): one bin per value (current values elsewhere fall
    in the nearest). Otherwise reference quantile bins; the outer bins are open-ended.
    """
    ref, cur = _clean(reference), _clean(current)
    distinct = np.unique(ref)
    if distinct.size <= CATEGORICAL_MAX:
        edges = (distinct[:-1] + distinct[1:]) / 2
    else:
        edges = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    ref_counts = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=edges.size + 1)
    cur_counts = np.bincount(np.searchsorted(edges, cur, side="right"), minlength=edges.size + 1)
    return (
        ref_counts / max(ref.size, 1),
        cur_counts / max(cur.size, 1),
        edges,
    )


def psi(reference: npt.ArrayLike, current: npt.ArrayLike, bins: int = 10) -> float:
    """Population stability index: sum over bins of ``(cur - ref) * ln(cur / ref)``.

    Rules of thumb: < 0.1 stable, 0.1-0.2 moderate shift, > 0.2 significant shift. NaN when
    either sample is empty.
    """
    if _clean(reference).size == 0 or _clean(current).size == 0:
        return float("nan")
    ref, cur, _ = bin_shares(reference, current, bins)
    ref, cur = np.clip(ref, EPS, None), np.clip(cur, EPS, None)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def ks(reference: npt.ArrayLike, current: npt.ArrayLike) -> tuple[float, float]:
    """Two-sample Kolmogorov-Smirnov statistic and p-value (NaN for an empty sample)."""
    ref, cur = _clean(reference), _clean(current)
    if ref.size == 0 or cur.size == 0:
        return float("nan"), float("nan")
    result = stats.ks_2samp(ref, cur)
    return float(result.statistic), float(result.pvalue)
