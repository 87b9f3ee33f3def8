"""Generate the Grafana dashboards in ``dashboards/`` (JSON, schema 39, Prometheus datasource).

    .venv/bin/python infra/observability/grafana/build_dashboards.py          # rewrite the files
    .venv/bin/python infra/observability/grafana/build_dashboards.py --check  # exit 1 if stale

Edit the panel lists here, not the JSON. Panels read only metrics that exist today (learnloop's own
``learnloop_*`` series, the recording rules in ``prometheus/rules``, kube-state-metrics, cAdvisor,
postgres_exporter); what waits on other metrics is listed in ``../pending_metrics.md`` and shown
as a note on the dashboard it belongs to.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DASHBOARD_DIR = Path(__file__).resolve().parent / "dashboards"
NOT_PROBES = 'route!~"/healthz|/readyz|/metrics"'
NS = 'namespace="$namespace"'
WIDTH = 24


@dataclass
class Panel:
    """One panel: a time series (default), stat, table or a text note."""

    title: str
    targets: list[tuple[str, str]] = field(default_factory=list)  # (PromQL, legend)
    kind: str = "timeseries"
    unit: str = "short"
    width: int = 12
    height: int = 8
    threshold: float | None = None
    text: str = ""
    description: str = ""


def _panel_json(panel: Panel, panel_id: int, x: int, y: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "gridPos": {"h": panel.height, "w": panel.width, "x": x, "y": y},
    }
    if panel.kind == "text":
        body["options"] = {"mode": "markdown", "content": panel.text}
        return body
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    if panel.threshold is not None:
        steps.append({"color": "red", "value": panel.threshold})
    body["datasource"] = {"type": "prometheus", "uid": "${datasource}"}
    body["fieldConfig"] = {
        "defaults": {"unit": panel.unit, "thresholds": {"mode": "absolute", "steps": steps}},
        "overrides": [],
    }
    if panel.kind == "timeseries" and panel.threshold is not None:
        body["fieldConfig"]["defaults"]["custom"] = {"thresholdsStyle": {"mode": "line"}}
    body["targets"] = [
        {
            "refId": chr(ord("A") + index),
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "expr": expr,
            "legendFormat": legend,
            **({"instant": True, "format": "table"} if panel.kind == "table" else {}),
        }
        for index, (expr, legend) in enumerate(panel.targets)
    ]
    return body


def _layout(panels: list[Panel]) -> list[dict[str, Any]]:
    """Place panels left to right, wrapping rows at Grafana's 24 columns."""
    out, x, y, row_height = [], 0, 0, 0
    for panel_id, panel in enumerate(panels, start=1):
        if x + panel.width > WIDTH:
            x, y, row_height = 0, y + row_height, 0
        out.append(_panel_json(panel, panel_id, x, y))
        x += panel.width
        row_height = max(row_height, panel.height)
    return out


def dashboard(uid: str, title: str, description: str, panels: list[Panel]) -> dict[str, Any]:
    """A complete dashboard with datasource, namespace and service variables."""
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["learnloop"],
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "timezone": "utc",
        "annotations": {"list": []},
        "links": [],
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Prometheus",
                    "type": "datasource",
                    "query": "prometheus",
                    "current": {},
                    "hide": 0,
                },
                {
                    "name": "namespace",
                    "label": "Namespace",
                    "type": "custom",
                    "query": "learnloop",
                    "current": {"text": "learnloop", "value": "learnloop"},
                    "hide": 0,
                },
                {
                    "name": "service",
                    "label": "Service",
                    "type": "query",
                    "datasource": {"type": "prometheus", "uid": "${datasource}"},
                    "query": {
                        "query": "label_values(learnloop_http_requests_total, service)",
                        "refId": "service",
                    },
                    "definition": "label_values(learnloop_http_requests_total, service)",
                    "refresh": 2,
                    "multi": True,
                    "includeAll": True,
                    "current": {"text": "All", "value": "$__all"},
                    "hide": 0,
                },
            ]
        },
        "panels": _layout(panels),
    }


def _quantiles(
    metric: str, by: str = "", quantiles: tuple[float, ...] = (0.5, 0.95, 0.99), selector: str = ""
) -> list[tuple[str, str]]:
    """histogram_quantile targets of a histogram ``metric``, one per quantile, grouped ``by``."""
    grouping = f"le{', ' + by if by else ''}"
    legend = "".join(f"{{{{{label.strip()}}}}} " for label in by.split(",") if label.strip())
    matchers = f"{{{selector}}}" if selector else ""
    return [
        (
            f"histogram_quantile({q}, sum by ({grouping}) "
            f"(rate({metric}_bucket{matchers}[$__rate_interval])))",
            f"{legend}p{round(q * 100)}",
        )
        for q in quantiles
    ]


def _resources(containers: str) -> list[Panel]:
    sel = f'{NS}, container=~"{containers}"'
    return [
        Panel(
            "CPU by container (cores) and limits",
            [
                (
                    f"sum by (container) (rate(container_cpu_usage_seconds_total{{{sel}}}"
                    "[$__rate_interval]))",
                    "{{container}}",
                ),
                (
                    "sum by (container) "
                    f'(kube_pod_container_resource_limits{{{sel}, resource="cpu"}})',
                    "{{container}} limit",
                ),
            ],
            width=8,
        ),
        Panel(
            "Memory working set by container",
            [
                (
                    f"sum by (container) (container_memory_working_set_bytes{{{sel}}})",
                    "{{container}}",
                )
            ],
            unit="bytes",
            width=8,
        ),
        Panel(
            "Container restarts (1 h)",
            [
                (
                    "sum by (container) "
                    f"(increase(kube_pod_container_status_restarts_total{{{sel}}}[1h]))",
                    "{{container}}",
                )
            ],
            width=8,
        ),
    ]


def pending_note(items: list[str]) -> Panel:
    """A text panel naming the panels that wait on metrics other engineers are adding."""
    lines = "\n".join(f"- {item}" for item in items)
    return Panel(
        "Pending metrics",
        kind="text",
        width=24,
        height=5,
        text="These panels are added once the code exports their metrics "
        f"(infra/observability/pending_metrics.md):\n\n{lines}",
    )


def service_overview() -> dict[str, Any]:
    """RED metrics per service and endpoint, pods, network and database."""
    svc = 'service=~"$service"'
    panels = [
        Panel(
            "Requests per second by service",
            [("sum by (service) (learnloop:http_requests:rate5m{" + svc + "})", "{{service}}")],
            unit="reqps",
            width=8,
        ),
        Panel(
            "5xx error ratio by service (alert > 0.1 %)",
            [("learnloop:http_error_ratio:rate5m{" + svc + "}", "{{service}}")],
            unit="percentunit",
            width=8,
            threshold=0.001,
        ),
        Panel(
            "p99 latency, 10 slowest endpoints (alert > 200 ms)",
            [
                (
                    "topk(10, learnloop:http_request_duration_seconds:p99_5m{" + svc + "})",
                    "{{service}} {{route}}",
                )
            ],
            unit="s",
            width=8,
            threshold=0.2,
        ),
        Panel(
            "Latency quantiles (selected services)",
            _quantiles(
                "learnloop_http_request_duration_seconds",
                "service",
                selector=f"{svc}, {NOT_PROBES}",
            ),
            unit="s",
            threshold=0.2,
        ),
        Panel(
            "Responses by status code",
            [
                (
                    f"sum by (status) (rate(learnloop_http_requests_total{{{svc}, {NOT_PROBES}}}"
                    "[$__rate_interval]))",
                    "{{status}}",
                )
            ],
            unit="reqps",
        ),
        Panel(
            "Endpoints: request rate, errors and p99",
            [
                ("sum by (service, route) (learnloop:http_requests:rate5m{" + svc + "})", "rps"),
                (
                    "sum by (service, route) (learnloop:http_server_errors:rate5m{" + svc + "})",
                    "5xx/s",
                ),
                ("learnloop:http_request_duration_seconds:p99_5m{" + svc + "}", "p99"),
            ],
            kind="table",
            width=24,
        ),
        *_resources(".+"),
        Panel(
            "Replicas: available vs HPA desired",
            [
                (
                    f"sum by (deployment) (kube_deployment_status_replicas_available{{{NS}}})",
                    "{{deployment}} available",
                ),
                (
                    "sum by (horizontalpodautoscaler) "
                    f"(kube_horizontalpodautoscaler_status_desired_replicas{{{NS}}})",
                    "{{horizontalpodautoscaler}} desired",
                ),
            ],
            width=8,
        ),
        Panel(
            "Network in / out (alert on 3x spikes)",
            [
                ("namespace:network_receive_bytes:rate5m", "in"),
                ("namespace:network_transmit_bytes:rate5m", "out"),
            ],
            unit="Bps",
            width=8,
        ),
        Panel(
            "Database connections vs max_connections",
            [
                ("sum by (instance) (pg_stat_database_numbackends)", "{{instance}} in use"),
                ("max by (instance) (pg_settings_max_connections)", "{{instance}} max"),
            ],
            width=8,
        ),
        Panel(
            "Scrape targets up",
            [(f"sum by (job) (up{{{NS}}})", "{{job}}")],
            kind="stat",
            width=24,
            height=4,
        ),
    ]
    return dashboard(
        "learnloop-service-overview",
        "learnloop / Service overview",
        "RED metrics of every learnloop HTTP service and endpoint, pods, network and database.",
        panels,
    )


# Drift thresholds drawn on the drift panels: the defaults of LEARNLOOP_DRIFT__PSI_THRESHOLD and
# LEARNLOOP_DRIFT__KS_THRESHOLD (learnloop/settings.py; tests/infra checks they match).
DRIFT_PSI_THRESHOLD = 0.2
DRIFT_KS_THRESHOLD = 0.15


def _rate(metric: str, by: str, selector: str = "") -> str:
    return f"sum by ({by}) (rate({metric}{{{selector}}}[$__rate_interval]))"


def _model_serving_panels() -> list[Panel]:
    """Model versions, arms, inference latency, fallbacks, breakers, features, gRPC (RES, LPS)."""
    return [
        Panel(
            "Inference p99 by model version (alert > 100 ms)",
            [("learnloop:model_inference_seconds:p99_5m", "{{service}} {{model}} v{{version}}")],
            unit="s",
            width=8,
            threshold=0.1,
        ),
        Panel(
            "Inference p50 by model version",
            _quantiles("learnloop_model_inference_seconds", "service, model, version", (0.5,)),
            unit="s",
            width=8,
        ),
        Panel(
            "Predictions per second by model version and arm",
            [
                (
                    "learnloop:model_predictions:rate5m",
                    "{{service}} {{model}} v{{version}} {{arm}}",
                )
            ],
            unit="ops",
            width=8,
        ),
        Panel(
            "Challenger share of RES answers",
            [
                (
                    'sum by (model) (learnloop:model_predictions:rate5m{service="res", '
                    'arm="challenger"}) / sum by (model) '
                    '(learnloop:model_predictions:rate5m{service="res"})',
                    "{{model}}",
                )
            ],
            unit="percentunit",
            width=8,
            description="Compare with the experiment's configured allocation (experiments_dir).",
        ),
        Panel(
            "Served model versions",
            [("learnloop_model_version_info == 1", "{{service}} {{kind}} {{model}} v{{version}}")],
            kind="table",
            width=8,
        ),
        Panel(
            "Hot reloads by outcome (1 h)",
            [
                (
                    "sum by (service, kind, outcome) (increase(learnloop_model_reloads_total[1h]))",
                    "{{service}} {{kind}} {{outcome}}",
                )
            ],
            width=8,
        ),
        Panel(
            "Degraded answers per second by reason (alert: any for 5 min)",
            [("learnloop:serving_degraded:rate5m", "{{service}} {{reason}}")],
            unit="ops",
            width=8,
        ),
        Panel(
            "Circuit breakers (0 closed, 1 half-open, 2 open)",
            [
                (
                    "max by (service, target) (learnloop_circuit_breaker_state)",
                    "{{service}} -> {{target}}",
                )
            ],
            width=8,
        ),
        Panel(
            "Breaker transitions (1 h)",
            [
                (
                    "sum by (service, target, state) "
                    "(increase(learnloop_circuit_breaker_transitions_total[1h]))",
                    "{{service}} -> {{target}} {{state}}",
                )
            ],
            width=8,
        ),
        Panel(
            "Online feature lookup p99 by store (alert > 20 ms)",
            [("learnloop:feature_lookup_seconds:p99_5m", "{{store}}")],
            unit="s",
            width=12,
            threshold=0.02,
        ),
        Panel(
            "Online feature lookups per second by outcome",
            [
                (
                    _rate("learnloop_feature_lookup_seconds_count", "store, outcome"),
                    "{{store}} {{outcome}}",
                )
            ],
            unit="ops",
            width=12,
        ),
        Panel(
            "gRPC calls served by method and code",
            [
                (
                    _rate("learnloop_grpc_server_requests_total", "service, method, code"),
                    "{{service}} {{method}} {{code}}",
                )
            ],
            unit="ops",
            width=8,
        ),
        Panel(
            "gRPC server p99 by method",
            _quantiles("learnloop_grpc_server_duration_seconds", "service, method", (0.99,)),
            unit="s",
            width=8,
        ),
        Panel(
            "gRPC client tries by target and outcome; LPS re-plans",
            [
                (
                    _rate("learnloop_grpc_client_requests_total", "service, target, outcome"),
                    "{{service}} -> {{target}} {{outcome}}",
                ),
                (_rate("learnloop_lps_replans_total", "cause"), "re-plan {{cause}}"),
            ],
            unit="ops",
            width=8,
        ),
    ]


def _model_lifecycle_panels() -> list[Panel]:
    """Drift monitor and retraining trigger (pushed by the CronJobs)."""
    return [
        Panel(
            "Drift: PSI per feature",
            [('learnloop_drift_score{test="psi"}', "{{model}} {{feature}}")],
            width=8,
            threshold=DRIFT_PSI_THRESHOLD,
        ),
        Panel(
            "Drift: KS per feature",
            [('learnloop_drift_score{test="ks"}', "{{model}} {{feature}}")],
            width=8,
            threshold=DRIFT_KS_THRESHOLD,
        ),
        Panel(
            "Champion AUC on the recent window",
            [("learnloop_model_window_auc", "{{model}}")],
            width=8,
        ),
        Panel(
            "Drift detected by the last check",
            [("max by (model) (learnloop_drift_detected)", "{{model}}")],
            kind="stat",
            width=8,
            height=5,
            threshold=1,
        ),
        Panel(
            "Hours since the last drift check (alert > 2 h)",
            [
                (
                    "(time() - max by (model) (learnloop_drift_last_run_timestamp_seconds)) / 3600",
                    "{{model}}",
                )
            ],
            kind="stat",
            unit="h",
            width=8,
            height=5,
            threshold=2,
        ),
        Panel(
            "Retraining runs and registry gate outcomes (7 d)",
            [
                (
                    "sum by (model, reason) (increase(learnloop_retraining_triggered_total[7d]))",
                    "{{model}} retrain {{reason}}",
                ),
                (
                    "sum by (model, outcome) (increase(learnloop_registry_gate_total[7d]))",
                    "{{model}} gate {{outcome}}",
                ),
            ],
            kind="stat",
            width=8,
            height=5,
        ),
        Panel(
            "Drift monitor / retraining trigger: hours since last success",
            [
                (
                    f"(time() - kube_cronjob_status_last_successful_time{{{NS}}}) / 3600",
                    "{{cronjob}}",
                )
            ],
            unit="h",
            width=12,
        ),
        Panel(
            "Failed scheduled-job runs kept",
            [
                (
                    f"sum by (owner_name) ((sum by (namespace, job_name) "
                    f"(kube_job_status_failed{{{NS}}}) > bool 0) * on (namespace, job_name) "
                    f'group_left (owner_name) kube_job_owner{{{NS}, owner_kind="CronJob"}})',
                    "{{owner_name}}",
                )
            ],
            width=12,
            threshold=2,
        ),
    ]


def ml_models() -> dict[str, Any]:
    """Models served by RES and LPS (versions, arms, latency, fallbacks), their endpoints and
    pods, and the drift / retraining jobs."""
    serving = 'service=~"res|lps"'
    panels = [
        *_model_serving_panels(),
        *_model_lifecycle_panels(),
        Panel(
            "Serving requests per second by endpoint",
            [
                (
                    "sum by (service, route) (learnloop:http_requests:rate5m{" + serving + "})",
                    "{{service}} {{route}}",
                )
            ],
            unit="reqps",
            width=8,
        ),
        Panel(
            "Serving p99 latency by endpoint (alert > 200 ms)",
            [
                (
                    "learnloop:http_request_duration_seconds:p99_5m{" + serving + "}",
                    "{{service}} {{route}}",
                )
            ],
            unit="s",
            width=8,
            threshold=0.2,
        ),
        Panel(
            "Serving 5xx error ratio",
            [("learnloop:http_error_ratio:rate5m{" + serving + "}", "{{service}}")],
            unit="percentunit",
            width=8,
            threshold=0.001,
        ),
        *_resources("res|lps"),
        pending_note(
            [
                "champion/challenger split against the experiment's configured allocation "
                "(sample-ratio mismatch alert): the allocation is not exported as a metric yet",
            ]
        ),
    ]
    return dashboard(
        "learnloop-ml-models",
        "learnloop / ML models",
        "Models served by RES and LPS (versions, experiment arms, inference and feature latency, "
        "fallbacks, breakers), drift scores and the retraining loop.",
        panels,
    )


def kafka_pipeline() -> dict[str, Any]:
    """Event ingestion, producers, consumer lag / batches / dead letters and consumer pods."""
    ingest = f'service="gateway", route=~".*events.*", {NOT_PROBES}'
    consumers = "lake-sink|progress-sink|feature-consumer"
    panels = [
        Panel(
            "Consumer lag by group and topic (alert > 50k)",
            [
                (
                    "sum by (group, topic) (max by (group, topic, partition) "
                    "(learnloop_kafka_consumer_lag))",
                    "{{group}} {{topic}}",
                )
            ],
            width=12,
            threshold=50000,
        ),
        Panel(
            "Consumer lag by partition",
            [
                (
                    "max by (group, topic, partition) (learnloop_kafka_consumer_lag)",
                    "{{group}} {{topic}}[{{partition}}]",
                )
            ],
            width=12,
        ),
        Panel(
            "Messages produced per second by topic and outcome",
            [
                (
                    "sum by (topic, outcome) "
                    "(rate(learnloop_kafka_produced_total[$__rate_interval]))",
                    "{{topic}} {{outcome}}",
                )
            ],
            unit="ops",
            width=8,
        ),
        Panel(
            "Batches per second by group and outcome",
            [
                (
                    "sum by (group, outcome) "
                    "(rate(learnloop_kafka_batches_total[$__rate_interval]))",
                    "{{group}} {{outcome}}",
                )
            ],
            unit="ops",
            width=8,
        ),
        Panel(
            "Dead letters (10 min) by group and source topic",
            [
                (
                    "sum by (group, topic) (increase(learnloop_kafka_dead_letters_total[10m]))",
                    "{{group}} {{topic}}",
                )
            ],
            width=8,
            threshold=1,
        ),
        Panel(
            "Time to make a batch durable (p50 / p99)",
            _quantiles("learnloop_kafka_batch_seconds", "group", (0.5, 0.99)),
            unit="s",
        ),
        Panel(
            "Events accepted over HTTP (requests/s by status)",
            [
                (
                    f"sum by (route, status) (rate(learnloop_http_requests_total{{{ingest}}}"
                    "[$__rate_interval]))",
                    "{{route}} {{status}}",
                )
            ],
            unit="reqps",
        ),
        *_resources(consumers),
        Panel(
            "Consumer replicas (HPA: CPU and lag)",
            [
                (
                    "sum by (horizontalpodautoscaler) "
                    f"(kube_horizontalpodautoscaler_status_current_replicas{{{NS}, "
                    f'horizontalpodautoscaler=~".*({consumers})"}})',
                    "{{horizontalpodautoscaler}}",
                )
            ],
            width=24,
        ),
        Panel(
            "Messages consumed per second by group and outcome",
            [
                (
                    _rate("learnloop_kafka_consumed_total", "group, outcome"),
                    "{{group}} {{outcome}}",
                )
            ],
            unit="ops",
            width=24,
        ),
    ]
    return dashboard(
        "learnloop-kafka-pipeline",
        "learnloop / Kafka pipeline",
        "Event ingestion into Kafka, the lake sinks and the feature consumer.",
        panels,
    )


DASHBOARDS = {
    "service-overview.json": service_overview,
    "ml-models.json": ml_models,
    "kafka-pipeline.json": kafka_pipeline,
}


def render() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    return {name: json.dumps(build(), indent=2) + "\n" for name, build in DASHBOARDS.items()}


def main(argv: list[str] | None = None) -> int:
    """Write the dashboards, or with ``--check`` report which committed files are stale."""
    parser = argparse.ArgumentParser(description="Generate learnloop's Grafana dashboards.")
    parser.add_argument("--check", action="store_true", help="fail if a committed file differs")
    args = parser.parse_args(argv)
    stale = []
    for name, text in render().items():
        path = DASHBOARD_DIR / name
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if stale:
        print(f"stale dashboards (run build_dashboards.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
