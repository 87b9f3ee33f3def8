"""The Helm chart: rendered offline, schema-validated, and consistent with the code it deploys."""

from __future__ import annotations

import importlib
import urllib.request
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import typer
from prometheus_client import CollectorRegistry, start_http_server
from testkit.infra import (
    KUBE_VERSION,
    NAMESPACE,
    RELEASE,
    Rendered,
    Tools,
    load_documents,
    render_chart,
    rule_groups,
    run,
)

from features.streaming import PartitionSlice
from learnloop.cli import app as cli_app
from learnloop.commands.ingest import features_slice
from learnloop.settings import IngestSettings, KafkaSettings, SecuritySettings, Settings
from services.common.privacy import consumer_state_stores
from services.users.privacy import erasure_stores

CRD_KINDS = {"ServiceMonitor", "PrometheusRule", "ExternalSecret"}


def name(component: str) -> str:
    return f"{RELEASE}-{component}"


def workloads(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {**values["components"], **values["cronJobs"]}


def kind_of(component: str, values: dict[str, Any]) -> str:
    """The workload kind the chart makes for ``component``."""
    if component in values["cronJobs"]:
        return "CronJob"
    return "StatefulSet" if values["components"][component].get("state") else "Deployment"


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


@pytest.mark.parametrize("which", ["rendered", "rendered_defaults"])
def test_every_manifest_validates_against_the_kubernetes_schema(
    which: str, tools: Tools, request: pytest.FixtureRequest
) -> None:
    chart: Rendered = request.getfixturevalue(which)
    files = sorted(chart.directory.glob("*.yaml"))
    result = run([tools.kubernetes_validate, "-k", KUBE_VERSION, "--strict", *files])
    lines = (result.stdout + result.stderr).splitlines()
    errors = [line for line in lines if line.startswith("ERROR")]
    assert not errors, "\n".join(errors)
    passed = sum(1 for line in lines if line.startswith("INFO") and " passed " in line)
    built_in = [d for d in chart.docs if d["kind"] not in CRD_KINDS]
    assert passed == len(built_in), f"{passed} validated of {len(built_in)} objects"
    unknown = {d["kind"] for d in chart.docs} - CRD_KINDS - {d["kind"] for d in built_in}
    assert not unknown


def test_chart_refuses_bad_values(tools: Tools, tmp_path: Path) -> None:
    """values.schema.json and the templates stop mistakes before anything reaches a cluster."""
    cases = {
        "config.LEARNLOOP_DATABASE_URL=postgresql://u:p@db/x": "not",
        "components.gateway.replicaz=3": "replicaz",
        "image.digest=sha256:short": "digest",
        "components.gateway.calls={nosuch}": "unknown component",
        "components.users.egress={internet}": "unknown target",
        "pushgateway.url=pushgateway:9091": "pushgateway",
        "components.feature-consumer.autoscaling.enabled=true": "fixed replica count",
        "config.LEARNLOOP_INGEST__FEATURES_INSTANCES=2": "components.feature-consumer.replicas",
        "components.feature-consumer.state.storage=lots": "storage",
    }
    for expression, message in cases.items():
        result = render_chart(tools, tmp_path / "bad", "--set", expression)
        assert result.returncode == 1, expression
        assert message in result.stderr, (expression, result.stderr[-500:])


def test_each_component_gets_its_full_set_of_objects(
    rendered: Rendered, values: dict[str, Any]
) -> None:
    for component, spec in values["components"].items():
        for kind in (
            kind_of(component, values),
            "Service",
            "ServiceAccount",
            "PodDisruptionBudget",
            "NetworkPolicy",
            "ServiceMonitor",
        ):
            rendered.get(kind, name(component))
        hpas = [
            h
            for h in rendered.kind("HorizontalPodAutoscaler")
            if h["metadata"]["name"] == name(component)
        ]
        assert len(hpas) == spec["autoscaling"]["enabled"], component
    for job in values["cronJobs"]:
        for kind in ("CronJob", "ServiceAccount", "NetworkPolicy"):
            rendered.get(kind, name(job))
    assert {d["metadata"]["namespace"] for d in rendered.docs} == {NAMESPACE}
    assert not rendered.kind("Secret"), "no Secret in the chart: external-secrets makes it"


def test_pods_run_the_image_by_digest_with_the_configured_command(
    rendered: Rendered, values: dict[str, Any]
) -> None:
    for component, spec in workloads(values).items():
        kind = kind_of(component, values)
        (container,) = pod_spec(rendered.get(kind, name(component)))["containers"]
        assert "@sha256:" in container["image"]
        assert container["args"] == spec["args"]
        assert "command" not in container, "the image's ENTRYPOINT (learnloop) runs"


def test_probes_point_at_health_endpoints_on_declared_ports(
    rendered: Rendered, values: dict[str, Any]
) -> None:
    for component, spec in values["components"].items():
        (container,) = pod_spec(rendered.get(kind_of(component, values), name(component)))[
            "containers"
        ]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        expected_port = "http" if spec["type"] == "http" else "metrics"
        expected_ready = "/readyz" if spec["type"] == "http" else "/healthz"
        for probe, path in (
            ("livenessProbe", "/healthz"),
            ("startupProbe", "/healthz"),
            ("readinessProbe", expected_ready),
        ):
            assert container[probe]["httpGet"] == {"path": path, "port": expected_port}, (
                component,
                probe,
            )
        assert expected_port in ports


def test_pods_are_locked_down_and_sized(rendered: Rendered, values: dict[str, Any]) -> None:
    for component in workloads(values):
        kind = kind_of(component, values)
        spec = pod_spec(rendered.get(kind, name(component)))
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] >= 10000
        assert spec["automountServiceAccountToken"] is False
        (container,) = spec["containers"]
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        for bound in ("requests", "limits"):
            assert set(container["resources"][bound]) == {"cpu", "memory"}, component
        writable = {m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly")}
        assert writable == {"/tmp", "/var/lib/learnloop"}


def test_autoscaling_targets_cpu_plus_request_rate_or_consumer_lag(
    rendered: Rendered, values: dict[str, Any]
) -> None:
    partitions = KafkaSettings().partitions
    ingest = IngestSettings()
    groups = {ingest.sink_group, ingest.progress_sink_group, ingest.features_group}
    for component, spec in values["components"].items():
        if not spec["autoscaling"]["enabled"]:
            continue  # a fixed set of pods with state (test_stateful_consumers_own_a_fixed_slice)
        hpa = rendered.get("HorizontalPodAutoscaler", name(component))["spec"]
        pdb = rendered.get("PodDisruptionBudget", name(component))["spec"]
        assert hpa["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": name(component),
        }
        metrics = {m["type"]: m for m in hpa["metrics"]}
        assert metrics["Resource"]["resource"]["name"] == "cpu"
        assert pdb["minAvailable"] < hpa["minReplicas"], "a PDB must leave room to drain a node"
        if spec["type"] == "http":
            assert metrics["Pods"]["pods"]["metric"]["name"] == "learnloop_http_requests_per_second"
        else:
            external = metrics["External"]["external"]
            assert external["metric"]["name"] == "learnloop_kafka_consumer_group_lag"
            assert external["metric"]["selector"]["matchLabels"]["group"] in groups
            assert hpa["maxReplicas"] <= partitions, "more consumers than partitions sit idle"


def test_service_monitors_scrape_a_port_their_service_exposes(
    rendered: Rendered, values: dict[str, Any]
) -> None:
    for component in values["components"]:
        monitor = rendered.get("ServiceMonitor", name(component))["spec"]
        service = rendered.get("Service", name(component))
        assert monitor["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
        (endpoint,) = monitor["endpoints"]
        assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
        assert endpoint["path"] == "/metrics"
        # The code's metrics carry a `service` label; keep it over the target's Service name.
        assert endpoint["honorLabels"] is True
        selector = service["spec"]["selector"]
        workload = rendered.get(kind_of(component, values), name(component))
        pod_labels = workload["spec"]["template"]["metadata"]
        assert selector.items() <= pod_labels["labels"].items()


def _env_names(rendered: Rendered, values: dict[str, Any]) -> set[str]:
    names = set(rendered.get("ConfigMap", f"{RELEASE}-settings")["data"])
    external = rendered.get("ExternalSecret", values["secrets"]["name"])
    names |= {item["secretKey"] for item in external["spec"]["data"]}
    for component in workloads(values):
        kind = kind_of(component, values)
        (container,) = pod_spec(rendered.get(kind, name(component)))["containers"]
        names |= {e["name"] for e in container["env"] if e["name"].startswith("LEARNLOOP_")}
    return names


def _settings_field_exists(variable: str) -> bool:
    model: Any = Settings
    for part in variable.removeprefix("LEARNLOOP_").lower().split("__"):
        field = model.model_fields.get(part)
        if field is None:
            return False
        model = field.annotation
    return True


def test_every_learnloop_variable_is_a_real_setting(
    rendered: Rendered, values: dict[str, Any]
) -> None:
    names = _env_names(rendered, values)
    unknown = {n for n in names if not _settings_field_exists(n)}
    assert not unknown, f"not in learnloop.settings: {sorted(unknown)}"


def test_production_settings_are_accepted_by_the_app(
    rendered: Rendered, values: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ConfigMap plus the synced secret keys make a valid Settings in production mode."""
    config = rendered.get("ConfigMap", f"{RELEASE}-settings")["data"]
    external = rendered.get("ExternalSecret", values["secrets"]["name"])
    secret_values = {
        "LEARNLOOP_DATABASE_URL": "postgresql+psycopg://learnloop:s3cr3t-from-sm@db:5432/learnloop",
        "LEARNLOOP_KAFKA__SASL_USERNAME": "learnloop",
        "LEARNLOOP_KAFKA__SASL_PASSWORD": "from-secrets-manager",
        "LEARNLOOP_AUTH__PSEUDONYM_SECRET": "a-long-random-hmac-key-from-secrets-manager",
        "LEARNLOOP_RATE_LIMIT__REDIS_URL": "rediss://:token@redis:6379/0",
    }
    assert {item["secretKey"] for item in external["spec"]["data"]} == set(secret_values)
    for key, value in {**config, **secret_values}.items():
        monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.env == "production"
    assert settings.kafka.embedded is False
    assert settings.kafka.security_protocol == "SASL_SSL"
    assert settings.lake_uri.startswith("s3://")
    assert settings.progress.backend == "dynamodb"
    assert settings.features.online_store == "redis"
    # feature-consumer pods own their state: they erase it, the identity service awaits each
    assert settings.security.consumer_state_erasure == "consumer"
    slices = consumer_state_stores(settings.ingest.features_instances)
    assert erasure_stores(settings)[-len(slices) :] == slices
    monkeypatch.setenv("LEARNLOOP_INGEST__FEATURES_INSTANCE", "2")  # the last pod's index
    assert features_slice(Settings(_env_file=None)) == PartitionSlice(2, 3)  # type: ignore[call-arg]


def test_replicas_share_provided_signing_keys_and_others_verify_with_the_jwks(
    rendered: Rendered, values: dict[str, Any]
) -> None:
    """Every replica of the identity service (token issuer) and of the catalog (LTI tool) signs
    with the same keys: one secret per kind, mounted read-only where the app reads them
    (auth.manage_keys false), so what one replica signed verifies against the JWKS any replica
    serves. Every pod but the issuer verifies tokens with the JWKS published under the issuer
    (https://<ingress host>) and holds no private key of it."""
    config = rendered.get("ConfigMap", f"{RELEASE}-settings")["data"]
    assert config["LEARNLOOP_AUTH__ISSUER"] == f"https://{values['ingress']['host']}"
    key_dir = Settings(_env_file=None, data_dir=config["LEARNLOOP_DATA_DIR"]).key_dir  # type: ignore[call-arg]
    kinds = values["signingKeys"]
    for kind in ("identity", "lti"):
        (source,) = rendered.get("ExternalSecret", kinds[kind]["secretName"])["spec"]["dataFrom"]
        assert source["extract"]["key"] == kinds[kind]["remoteKey"]
    users = {c: spec.get("signingKeys", []) for c, spec in values["components"].items()}
    assert {c: k for c, k in users.items() if k} == {"users": ["identity"], "catalog": ["lti"]}
    assert "/.well-known" in values["components"]["users"]["routes"]  # its JWKS is public
    assert "/lti" in values["components"]["catalog"]["routes"]  # the tool's JWKS too
    for component in workloads(values):
        pod = pod_spec(rendered.get(kind_of(component, values), name(component)))
        (container,) = pod["containers"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        mounts = {m["name"]: m for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        mine = users.get(component, [])
        for kind in ("identity", "lti"):
            if kind in mine:
                mount = mounts[f"{kind}-keys"]
                assert (mount["mountPath"], mount["readOnly"]) == (str(key_dir / kind), True)
                secret = volumes[f"{kind}-keys"]["secret"]["secretName"]
                assert secret == kinds[kind]["secretName"]
            else:
                assert f"{kind}-keys" not in mounts and f"{kind}-keys" not in volumes, component
        assert env.get("LEARNLOOP_AUTH__MANAGE_KEYS") == ("false" if mine else None), component
        if "identity" in mine:
            assert "LEARNLOOP_AUTH__VERIFY_WITH_JWKS" not in env
        else:
            assert env["LEARNLOOP_AUTH__VERIFY_WITH_JWKS"] == "true", component
            # the issuer's JWKS is fetched over the public URL (its NetworkPolicy lets it out)
            assert "publicHttps" in workloads(values)[component]["egress"], component


def test_stateful_consumers_own_a_fixed_slice_and_a_volume(
    rendered: Rendered, values: dict[str, Any]
) -> None:
    """The feature consumer is a StatefulSet: a fixed number of pods (at most the partitions),
    each with a volume for its state and its pod index as its slice; the shared settings carry
    the count, so the identity service awaits one erasure answer per slice."""
    stateful = {c: spec for c, spec in values["components"].items() if spec.get("state")}
    assert set(stateful) == {"feature-consumer"}
    config = rendered.get("ConfigMap", f"{RELEASE}-settings")["data"]
    for component, spec in stateful.items():
        workload = rendered.get("StatefulSet", name(component))["spec"]
        replicas = workload["replicas"]
        assert replicas == spec["replicas"] and 2 <= replicas <= KafkaSettings().partitions
        assert config[spec["state"]["countSetting"]] == str(replicas)
        (claim,) = workload["volumeClaimTemplates"]
        assert claim["metadata"]["name"] == "data"
        assert claim["spec"]["resources"]["requests"]["storage"] == spec["state"]["storage"]
        pod = workload["template"]["spec"]
        assert "data" not in {v["name"] for v in pod["volumes"]}, "state on the claim"
        (container,) = pod["containers"]
        assert {"name": "data", "mountPath": "/var/lib/learnloop"} in container["volumeMounts"]
        index = {e["name"]: e for e in container["env"]}[spec["state"]["indexSetting"]]
        label = "metadata.labels['apps.kubernetes.io/pod-index']"
        assert index["valueFrom"]["fieldRef"]["fieldPath"] == label
        assert (
            rendered.get("PodDisruptionBudget", name(component))["spec"]["minAvailable"] < replicas
        )


def test_sagemaker_steps_run_the_image_the_pods_run(rendered: Rendered) -> None:
    config = rendered.get("ConfigMap", f"{RELEASE}-settings")["data"]
    images = {
        c["image"]
        for kind in ("Deployment", "StatefulSet")
        for workload in rendered.kind(kind)
        for c in workload["spec"]["template"]["spec"]["containers"]
    }
    assert images == {config["LEARNLOOP_SAGEMAKER__IMAGE_URI"]}


def test_the_identity_service_can_name_each_stateful_pod_for_exports(
    rendered: Rendered, values: dict[str, Any]
) -> None:
    """GDPR export of state kept on a pod's own volume: the StatefulSet's governing Service is
    headless (so pod i has a DNS name), and the shared settings carry a URL template that names
    pod i under it on the port its container serves the export on."""
    config = rendered.get("ConfigMap", f"{RELEASE}-settings")["data"]
    stateful = {c: spec for c, spec in values["components"].items() if spec.get("state")}
    for component, spec in stateful.items():
        service = rendered.get("Service", name(component))["spec"]
        workload = rendered.get("StatefulSet", name(component))["spec"]
        assert service["clusterIP"] == "None" and workload["serviceName"] == name(component)
        (container,) = workload["template"]["spec"]["containers"]
        metrics = {p["name"]: p["containerPort"] for p in container["ports"]}["metrics"]
        template = config[spec["state"]["exportUrlSetting"]]
        setting = spec["state"]["exportUrlSetting"].removeprefix("LEARNLOOP_SECURITY__").lower()
        security = SecuritySettings.model_validate({setting: template})  # a valid template
        url = httpx.URL(getattr(security, setting).format(index=1, subject_id="u-7"))
        assert url.host == f"{name(component)}-1.{name(component)}.{NAMESPACE}.svc"
        assert (url.port, url.path) == (metrics, "/privacy/subjects/u-7")
    assert all(
        "clusterIP" not in rendered.get("Service", name(c))["spec"]
        for c in values["components"]
        if c not in stateful
    )


def _parse(args: list[str]) -> tuple[str, ...]:
    """Parse ``learnloop <args>`` as the CLI would; the command path. Raises on any bad argument
    (unknown command or option, invalid choice). Typer vendors its own click: duck-typed."""
    command: Any = typer.main.get_command(cli_app)
    path: list[str] = []
    rest = list(args)
    while hasattr(command, "commands") and rest and not rest[0].startswith("-"):
        sub = command.commands.get(rest[0])
        if sub is None:
            raise ValueError(f"no command {rest[0]!r} under learnloop {' '.join(path)}")
        command, path = sub, [*path, rest.pop(0)]
    if hasattr(command, "commands"):
        raise ValueError(f"learnloop {' '.join(path)} is a group, not a command")
    command.make_context(" ".join(["learnloop", *path]), rest)
    return tuple(path)


def test_container_commands_parse_in_the_cli(values: dict[str, Any]) -> None:
    for component, spec in workloads(values).items():
        try:
            path = _parse(list(spec["args"]))
        except Exception as exc:  # click's UsageError (vendored by typer) or ours
            pytest.fail(f"{component}: learnloop {' '.join(spec['args'])}: {exc}")
        assert path == tuple(spec["args"][: len(path)])


def test_ingress_routes_each_prefix_to_its_service_behind_tls_and_waf(
    rendered: Rendered, values: dict[str, Any]
) -> None:
    (ingress,) = rendered.kind("Ingress")
    annotations = ingress["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/wafv2-acl-arn"].startswith("arn:aws:wafv2:")
    assert annotations["alb.ingress.kubernetes.io/certificate-arn"].startswith("arn:aws:acm:")
    assert annotations["alb.ingress.kubernetes.io/listen-ports"] == '[{"HTTPS":443}]'
    (rule,) = ingress["spec"]["rules"]
    assert ingress["spec"]["tls"][0]["hosts"] == [rule["host"]]
    paths = [(p["path"], p["backend"]["service"]) for p in rule["http"]["paths"]]
    expected = {
        prefix: name(component)
        for component, spec in values["components"].items()
        for prefix in spec.get("routes", [])
    }
    assert {path: service["name"] for path, service in paths} == expected
    assert all(service["port"] == {"name": "http"} for _, service in paths)
    order = [path for path, _ in paths]
    for i, path in enumerate(order):
        shadowing = [p for p in order[:i] if path.startswith(p.rstrip("/") + "/")]
        assert not shadowing, f"{path} is shadowed by {shadowing}"
    assert order[-1] == "/"


def test_disabled_services_are_served_by_the_gateway(tools: Tools, tmp_path: Path) -> None:
    """With users disabled, its prefixes go to the gateway (which mounts every service)."""
    result = render_chart(tools, tmp_path, "--set", "components.users.enabled=false")
    assert result.returncode == 0, result.stderr
    chart = Rendered(tmp_path, load_documents(tmp_path))
    (ingress,) = chart.kind("Ingress")
    backends = {
        p["path"]: p["backend"]["service"]["name"]
        for p in ingress["spec"]["rules"][0]["http"]["paths"]
    }
    assert backends["/users"] == backends["/auth"] == name("gateway")
    assert not [d for d in chart.kind("Deployment") if d["metadata"]["name"] == name("users")]


SERVICE_MODULES = {
    "users": "services.users.app",
    "catalog": "services.catalog.app",
    "assessments": "services.assessments.app",
    "progress": "services.progress.app",
    "analytics": "services.analytics.app",
    "notifications": "services.notifications.app",
    "integrations": "services.integrations.app",
}


def test_every_endpoint_of_a_service_is_routed_to_that_service(values: dict[str, Any]) -> None:
    """The prefixes in the values cover each service's real routes, and nothing else's."""
    prefixes = {c: spec.get("routes", []) for c, spec in values["components"].items()}

    def owner(path: str) -> str:
        matches = [
            (len(prefix), component)
            for component, routes in prefixes.items()
            for prefix in routes
            if path == prefix or path.startswith(prefix.rstrip("/") + "/")
        ]
        return max(matches)[1]

    for component, module_name in SERVICE_MODULES.items():
        module = importlib.import_module(module_name).MODULE
        paths = {route.path for router in module.routers for route in router.routes}
        assert paths, component
        misrouted = {p: owner(p) for p in paths if owner(p) != component}
        assert not misrouted, f"{component} endpoints sent elsewhere: {misrouted}"
    from services.ingestion import router as ingestion_router

    assert {owner(r.path) for r in ingestion_router.routes} == {"gateway"}


def test_cronjobs_never_overlap_and_clean_up(rendered: Rendered, values: dict[str, Any]) -> None:
    for job in values["cronJobs"]:
        spec = rendered.get("CronJob", name(job))["spec"]
        assert spec["concurrencyPolicy"] == "Forbid"
        assert spec["jobTemplate"]["spec"]["activeDeadlineSeconds"] > 0
        assert spec["jobTemplate"]["spec"]["ttlSecondsAfterFinished"] > 0
        assert pod_spec(rendered.get("CronJob", name(job)))["restartPolicy"] == "Never"


def test_observability_files_ship_in_the_chart(rendered: Rendered) -> None:
    (rule,) = rendered.kind("PrometheusRule")
    assert rule["spec"]["groups"] == rule_groups(), "the PrometheusRule is the rules file"
    alerts = [r["alert"] for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r]
    assert {"LearnloopEndpointLatencyP99High", "LearnloopModelDriftDetected"} <= set(alerts)
    dashboards = [
        d for d in rendered.kind("ConfigMap") if d["metadata"]["labels"].get("grafana_dashboard")
    ]
    assert {next(iter(d["data"])) for d in dashboards} == {
        "service-overview.json",
        "ml-models.json",
        "kafka-pipeline.json",
    }


def test_consumer_probes_hit_a_path_their_metrics_server_answers(values: dict[str, Any]) -> None:
    """Consumers serve metrics with prometheus_client's server, which answers any path: the
    chart's /healthz probe on the metrics port gets a 200 from the real server."""
    server, thread = start_http_server(0, addr="127.0.0.1", registry=CollectorRegistry())
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            assert response.status == 200
    finally:
        server.shutdown()
        thread.join(timeout=5)
    workers = [c for c in values["components"].values() if c["type"] == "worker"]
    assert workers and all(c["args"][0] == "ingest" for c in workers)


def _object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


_STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
_META = {"type": "object", "required": ["name", "namespace"]}
# The fields of the operators' CRDs that this chart uses (prometheus-operator monitoring.coreos.com
# /v1, external-secrets external-secrets.io/v1), closed with additionalProperties: false, so a
# misspelt field fails here rather than being dropped by the API server. kubernetes-validate has
# no CRD schemas.
CRD_SCHEMAS = {
    "ServiceMonitor": _object(
        {
            "apiVersion": {"const": "monitoring.coreos.com/v1"},
            "kind": {"const": "ServiceMonitor"},
            "metadata": _META,
            "spec": _object(
                {
                    "selector": _object({"matchLabels": _STRINGS}, ("matchLabels",)),
                    "namespaceSelector": _object(
                        {"matchNames": {"type": "array", "items": {"type": "string"}}}
                    ),
                    "endpoints": {
                        "type": "array",
                        "minItems": 1,
                        "items": _object(
                            {
                                "port": {"type": "string"},
                                "path": {"type": "string", "pattern": "^/"},
                                "interval": {"type": "string", "pattern": "^[0-9]+[smh]$"},
                                "scrapeTimeout": {"type": "string", "pattern": "^[0-9]+[smh]$"},
                                "honorLabels": {"type": "boolean"},
                            },
                            ("port",),
                        ),
                    },
                },
                ("selector", "endpoints"),
            ),
        },
        ("apiVersion", "kind", "metadata", "spec"),
    ),
    "PrometheusRule": _object(
        {
            "apiVersion": {"const": "monitoring.coreos.com/v1"},
            "kind": {"const": "PrometheusRule"},
            "metadata": _META,
            "spec": _object(
                {
                    "groups": {
                        "type": "array",
                        "items": _object(
                            {
                                "name": {"type": "string"},
                                "interval": {"type": "string"},
                                "rules": {
                                    "type": "array",
                                    "items": _object(
                                        {
                                            "alert": {"type": "string"},
                                            "record": {"type": "string"},
                                            "expr": {"type": "string"},
                                            "for": {"type": "string"},
                                            "labels": _STRINGS,
                                            "annotations": _STRINGS,
                                        },
                                        ("expr",),
                                    ),
                                },
                            },
                            ("name", "rules"),
                        ),
                    }
                },
                ("groups",),
            ),
        },
        ("apiVersion", "kind", "metadata", "spec"),
    ),
    "ExternalSecret": _object(
        {
            "apiVersion": {"const": "external-secrets.io/v1"},
            "kind": {"const": "ExternalSecret"},
            "metadata": _META,
            "spec": _object(
                {
                    "refreshInterval": {"type": "string", "pattern": "^[0-9]+[smh]$"},
                    "secretStoreRef": _object(
                        {
                            "kind": {"enum": ["SecretStore", "ClusterSecretStore"]},
                            "name": {"type": "string"},
                        },
                        ("name",),
                    ),
                    "target": _object(
                        {
                            "name": {"type": "string"},
                            "creationPolicy": {"enum": ["Owner", "Orphan", "Merge", "None"]},
                            "deletionPolicy": {"enum": ["Delete", "Merge", "Retain"]},
                        }
                    ),
                    "data": {
                        "type": "array",
                        "items": _object(
                            {
                                "secretKey": {"type": "string"},
                                "remoteRef": _object(
                                    {"key": {"type": "string"}, "property": {"type": "string"}},
                                    ("key",),
                                ),
                            },
                            ("secretKey", "remoteRef"),
                        ),
                    },
                    "dataFrom": {
                        "type": "array",
                        "items": _object(
                            {"extract": _object({"key": {"type": "string"}}, ("key",))},
                            ("extract",),
                        ),
                    },
                },
                ("secretStoreRef", "target"),
            )
            | {"anyOf": [{"required": ["data"]}, {"required": ["dataFrom"]}]},
        },
        ("apiVersion", "kind", "metadata", "spec"),
    ),
}


def test_custom_resources_match_the_operator_schemas(rendered: Rendered) -> None:
    custom = [d for d in rendered.docs if d["kind"] in CRD_KINDS]
    assert {d["kind"] for d in custom} == CRD_KINDS
    for document in custom:
        jsonschema.validate(document, CRD_SCHEMAS[document["kind"]])
    broken = {**rendered.kind("ServiceMonitor")[0]}
    broken["spec"] = {**broken["spec"], "endpoints": [{"port": "http", "honorlabels": True}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, CRD_SCHEMAS["ServiceMonitor"])


def test_jobs_that_push_metrics_are_told_where(rendered: Rendered, values: dict[str, Any]) -> None:
    """CronJobs with pushMetrics get the Pushgateway URL (LEARNLOOP_DRIFT__PUSHGATEWAY_URL);
    long-running pods, scraped directly, do not."""
    variable = "LEARNLOOP_DRIFT__PUSHGATEWAY_URL"
    told = {}
    for component, spec in workloads(values).items():
        kind = kind_of(component, values)
        (container,) = pod_spec(rendered.get(kind, name(component)))["containers"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        if variable in env:
            told[component] = env[variable]
        assert (variable in env) == bool(spec.get("pushMetrics")), component
    assert told == dict.fromkeys(
        ["drift-monitor", "retraining-trigger"], values["pushgateway"]["url"]
    )
