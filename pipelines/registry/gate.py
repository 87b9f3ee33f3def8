"""The promotion gate: pure decisions with reasons (no MLflow here).

A challenger becomes champion only if every check passes:

* ``data_validation``: the data it was trained on passed validation;
* ``offline_metric``: its test metric ≥ the champion's on the *same* test rows − tolerance
  (no champion yet: ≥ the absolute floor, KT only);
* ``latency`` (KT): p99 of one online update + prediction within the budget.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class GateDecision:
    """Outcome of the gate for one registered model."""

    model: str
    passed: bool
    reasons: list[str]
    checks: dict[str, bool] = field(default_factory=dict)
    challenger: dict[str, Any] = field(default_factory=dict)
    champion: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def metric_check(
    metric: str,
    challenger: float | None,
    champion: float | None,
    tolerance: float,
    floor: float | None,
) -> tuple[bool, str]:
    """Is the challenger's metric good enough? Returns ``(ok, reason)``."""
    if not _finite(challenger):
        return False, f"{metric} of the challenger is undefined"
    assert challenger is not None
    if _finite(champion):
        assert champion is not None
        bar = champion - tolerance
        verdict = ">=" if challenger >= bar else "<"
        return challenger >= bar, (
            f"{metric} {challenger:.4f} {verdict} champion {champion:.4f} - {tolerance:g}"
        )
    if floor is None:
        return True, f"{metric} {challenger:.4f}; no champion to compare with"
    verdict = ">=" if challenger >= floor else "<"
    return (
        challenger >= floor,
        f"{metric} {challenger:.4f} {verdict} first-champion floor {floor:g}",
    )


def decide(
    model: str,
    *,
    metric: str,
    challenger: dict[str, Any],
    champion: dict[str, Any] | None,
    validation_passed: bool,
    tolerance: float,
    floor: float | None = None,
    latency_p99_ms: float | None = None,
    latency_budget_ms: float | None = None,
) -> GateDecision:
    """Apply every check; ``passed`` only if all pass, with one reason per check."""
    checks: dict[str, bool] = {}
    reasons: list[str] = []
    checks["data_validation"] = validation_passed
    reasons.append("data validation passed" if validation_passed else "data validation failed")
    ok, why = metric_check(
        metric, challenger.get(metric), (champion or {}).get(metric), tolerance, floor
    )
    checks["offline_metric"] = ok
    reasons.append(why)
    if latency_budget_ms is not None:
        fast = _finite(latency_p99_ms) and latency_p99_ms <= latency_budget_ms  # type: ignore[operator]
        checks["latency"] = bool(fast)
        shown = f"{latency_p99_ms:.2f}" if _finite(latency_p99_ms) else "undefined"
        reasons.append(
            f"latency p99 {shown} ms {'<=' if fast else '>'} budget {latency_budget_ms:g} ms"
        )
    return GateDecision(model, all(checks.values()), reasons, checks, challenger, champion)
