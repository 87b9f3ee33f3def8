"""Prometheus metrics of RES and LPS (names are what the dashboards and alerts use).

Under ``bentoml serve`` prometheus_client runs in multiprocess mode and BentoML's ``/metrics``
collects these with its own; gauges therefore declare how worker values combine.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

# The breaker metrics live with the breaker (a leaf module shared with the gateway).
from learnloop.web.breaker import BREAKER_STATE, BREAKER_TRANSITIONS  # noqa: F401

LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5)

INFERENCE_SECONDS = Histogram(
    "learnloop_model_inference_seconds",
    "Model work of one request (ranking or scoring, no I/O) by model name, version and arm.",
    ["service", "model", "version", "arm"],
    buckets=LATENCY_BUCKETS,
)
PREDICTIONS = Counter(
    "learnloop_model_predictions_total",
    "Answers served by model name, version and experiment arm.",
    ["service", "model", "version", "arm"],
)
DEGRADED = Counter(
    "learnloop_serving_degraded_total",
    "Answers served in a degraded mode (fallback), by reason.",
    ["service", "reason"],
)
MODEL_INFO = Gauge(
    "learnloop_model_version_info",
    "1 for the model version a service serves now (0 for versions it served before).",
    ["service", "kind", "model", "version", "alias"],
    multiprocess_mode="livemax",
)
MODEL_RELOADS = Counter(
    "learnloop_model_reloads_total",
    "Hot reloads of a served model by outcome.",
    ["service", "kind", "outcome"],
)
FEATURE_LOOKUP_SECONDS = Histogram(
    "learnloop_feature_lookup_seconds",
    "Online feature store lookups by store and outcome (ok, error, timeout, skipped).",
    ["store", "outcome"],
    buckets=LATENCY_BUCKETS,
)
GRPC_SERVER_REQUESTS = Counter(
    "learnloop_grpc_server_requests_total",
    "gRPC calls answered by method and status code.",
    ["service", "method", "code"],
)
GRPC_SERVER_SECONDS = Histogram(
    "learnloop_grpc_server_duration_seconds",
    "gRPC call latency on the server by method.",
    ["service", "method"],
    buckets=LATENCY_BUCKETS,
)
GRPC_CLIENT_REQUESTS = Counter(
    "learnloop_grpc_client_requests_total",
    "gRPC calls made (each try) by target, method and outcome.",
    ["service", "target", "method", "outcome"],
)
REPLANS = Counter(
    "learnloop_lps_replans_total",
    "Stored paths re-planned after a ProgressUpdateEvent, by cause (ahead, behind).",
    ["cause"],
)
GC_PAUSE_SECONDS = Histogram(
    "learnloop_gc_pause_seconds",
    "Garbage-collector pauses of a serving process by generation (every request waits).",
    ["service", "generation"],
    buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0),
)
