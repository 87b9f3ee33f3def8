"""Prometheus gauges of the drift monitor and counters of the retraining loop.

Names follow ``infra/observability/pending_metrics.md``: ``learnloop_drift_score{model,
feature, test}`` (``test`` = ``psi`` or ``ks``; ``feature="prediction"`` is prediction drift),
``learnloop_drift_detected{model}``, ``learnloop_model_window_auc{model}``,
``learnloop_drift_last_run_timestamp_seconds{model}``, ``learnloop_retraining_triggered_total
{model, reason}`` and ``learnloop_registry_gate_total{model, outcome}``.

A drift check is a short job (a CronJob in production), so the gauges are also written in the
node-exporter textfile format (``<data_dir>/metrics/drift.prom``) and pushed to a Pushgateway
when ``LEARNLOOP_DRIFT__PUSHGATEWAY_URL`` is set.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, write_to_textfile

from learnloop.settings import Settings

if TYPE_CHECKING:
    from pipelines.drift.monitor import DriftResult

REGISTRY = CollectorRegistry()
DRIFT_SCORE = Gauge(
    "learnloop_drift_score",
    "Drift score of a feature (or the predictions) against the training reference.",
    ["model", "feature", "test"],
    registry=REGISTRY,
)
DRIFT_DETECTED = Gauge(
    "learnloop_drift_detected", "1 if the last check breached a threshold.", ["model"],
    registry=REGISTRY,
)  # fmt: skip
WINDOW_AUC = Gauge(
    "learnloop_model_window_auc", "Champion AUC on the recent labelled window.", ["model"],
    registry=REGISTRY,
)  # fmt: skip
LAST_RUN = Gauge(
    "learnloop_drift_last_run_timestamp_seconds", "When the drift check last ran.", ["model"],
    registry=REGISTRY,
)  # fmt: skip
RETRAINING = Counter(
    "learnloop_retraining_triggered_total", "Retraining runs triggered.", ["model", "reason"],
    registry=REGISTRY,
)  # fmt: skip
GATE = Counter(
    "learnloop_registry_gate_total", "Registry gate outcomes.", ["model", "outcome"],
    registry=REGISTRY,
)  # fmt: skip


def export_drift_metrics(result: DriftResult, settings: Settings | None = None) -> None:
    """Set the gauges from ``result``; write the textfile / push when settings say so."""
    model = result.model
    for feature in result.features:
        DRIFT_SCORE.labels(model, feature.feature, "psi").set(feature.psi)
        DRIFT_SCORE.labels(model, feature.feature, "ks").set(feature.ks)
    if math.isfinite(result.prediction_psi):
        DRIFT_SCORE.labels(model, "prediction", "psi").set(result.prediction_psi)
    if math.isfinite(result.window_auc):
        WINDOW_AUC.labels(model).set(result.window_auc)
    DRIFT_DETECTED.labels(model).set(1.0 if result.status == "drift" else 0.0)
    LAST_RUN.labels(model).set(time.time())
    if settings is not None:
        publish(settings)


def publish(settings: Settings) -> None:
    """Write ``<data_dir>/metrics/drift.prom``; push to the Pushgateway if configured."""
    folder = settings.data_dir / "metrics"
    folder.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(folder / "drift.prom"), REGISTRY)
    if settings.drift.pushgateway_url:
        from prometheus_client import push_to_gateway

        push_to_gateway(settings.drift.pushgateway_url, job="learnloop-drift", registry=REGISTRY)
