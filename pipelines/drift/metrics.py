"""Prometheus gauges of the drift monitor and counters of the retraining loop.

Names follow ``infra/observability/pending_metrics.md``: ``learnloop_drift_score{model,
feature, test}`` (``test`` = ``psi`` or ``ks``; ``feature="prediction"`` is prediction drift),
``learnloop_drift_detected{model}``, ``learnloop_model_window_auc{model}``,
``learnloop_drift_last_run_timestamp_seconds{model}``, ``learnloop_retraining_triggered_total
{model, reason}`` and ``learnloop_registry_gate_total{model, outcome}``.

A drift check is a short job (a CronJob in production) that is gone before Prometheus scrapes
it, so the metrics are also written in the node-exporter textfile format
(``<data_dir>/metrics/drift.prom``) and, when ``LEARNLOOP_DRIFT__PUSHGATEWAY_URL`` is set (off by
default; the Helm chart sets it for its CronJobs), pushed to a Pushgateway as job
``learnloop-drift``, which Prometheus scrapes with ``honor_labels``.
"""

from __future__ import annotations

import logging
import math
import time
import urllib.request
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, push_to_gateway, write_to_textfile
from prometheus_client.parser import text_string_to_metric_families

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
JOB = "learnloop-drift"
# Counter series -> (counter, its label names), to carry totals over from the Pushgateway.
COUNTERS = {
    "learnloop_retraining_triggered_total": (RETRAINING, ("model", "reason")),
    "learnloop_registry_gate_total": (GATE, ("model", "outcome")),
}
PUSH_TIMEOUT_S = 10.0
log = logging.getLogger(__name__)
_carried_over: set[str] = set()  # gateways whose totals this process has added


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
        push(settings.drift.pushgateway_url)


def push(url: str) -> None:
    """Replace job ``learnloop-drift``'s metrics on the Pushgateway at ``url`` with the registry.

    Each CronJob pod starts its counters at 0, so before its first push a process adds the totals
    the gateway holds for the job: pushed counters keep counting across runs and ``increase()``
    works on them. An unreachable gateway is logged, not raised: the check's result stands, and
    the ``LearnloopDriftCheckStale`` alert notices pushes that stop."""
    base = url if "://" in url else f"http://{url}"
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"drift.pushgateway_url {url!r}: use an http:// or https:// URL")
    try:
        if base not in _carried_over:
            _add_pushed_totals(base)
            _carried_over.add(base)
        push_to_gateway(base, job=JOB, registry=REGISTRY, timeout=PUSH_TIMEOUT_S)
    except OSError as error:
        log.warning("drift metrics not pushed to %s: %s", base, error)


def _add_pushed_totals(base: str) -> None:
    address = f"{base.rstrip('/')}/metrics"  # http(s) only: checked by push()
    with urllib.request.urlopen(address, timeout=PUSH_TIMEOUT_S) as reply:  # noqa: S310
        text = reply.read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in COUNTERS and sample.labels.get("job") == JOB:
                counter, names = COUNTERS[sample.name]
                counter.labels(*(sample.labels.get(n, "") for n in names)).inc(sample.value)
