"""The rendered NetworkPolicies, evaluated: who can open a connection to whom, on which port.

A small evaluator of Kubernetes NetworkPolicy semantics (pod/namespace selectors, ipBlock with
except, named ports; a connection needs the source's egress and the destination's ingress to
allow it, and pods not selected by any policy of a type are open for that type) runs over the
chart's output, and the resulting reachability is compared with what the values declare.
"""

from __future__ import annotations

import ipaddress
import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from testkit.infra import NAMESPACE, RELEASE, Rendered


@dataclass(frozen=True)
class Peer:
    """A pod (namespace + labels + named ports) or an address outside the cluster."""

    name: str
    namespace: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    ip: str | None = None


class Cluster:
    """The namespace's policies and the rule to decide one connection."""

    def __init__(self, policies: list[dict[str, Any]]):
        self.policies = policies

    @staticmethod
    def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
        assert set(selector) <= {"matchLabels"}, "evaluator knows matchLabels only"
        return selector.get("matchLabels", {}).items() <= labels.items()

    def _peer_matches(self, rule_peer: dict[str, Any], peer: Peer) -> bool:
        if "ipBlock" in rule_peer:
            if peer.ip is None:
                return False
            address = ipaddress.ip_address(peer.ip)
            block = rule_peer["ipBlock"]
            return address in ipaddress.ip_network(block["cidr"]) and not any(
                address in ipaddress.ip_network(e) for e in block.get("except", [])
            )
        if peer.namespace is None:
            return False
        if "namespaceSelector" in rule_peer:
            ns_labels = {"kubernetes.io/metadata.name": peer.namespace}
            if not self._selects(rule_peer["namespaceSelector"], ns_labels):
                return False
        elif peer.namespace != NAMESPACE:
            return False
        return self._selects(rule_peer.get("podSelector", {}), peer.labels)

    @staticmethod
    def _port_matches(rule: dict[str, Any], target: Peer, port: int, protocol: str) -> bool:
        if "ports" not in rule:
            return True
        for entry in rule["ports"]:
            number = entry["port"]
            if isinstance(number, str):
                number = target.ports.get(number)
            if number == port and entry.get("protocol", "TCP") == protocol:
                return True
        return False

    def _allowed(
        self, pod: Peer, other: Peer, target: Peer, port: int, proto: str, kind: str
    ) -> bool:
        """Whether ``pod``'s policies of ``kind`` (Ingress/Egress) admit ``other``."""
        if pod.namespace != NAMESPACE:
            return True  # outside the chart's namespace: not governed by these policies
        selecting = [
            p
            for p in self.policies
            if kind in p["spec"]["policyTypes"]
            and self._selects(p["spec"]["podSelector"], pod.labels)
        ]
        if not selecting:
            return True
        direction, peers = ("ingress", "from") if kind == "Ingress" else ("egress", "to")
        return any(
            any(self._peer_matches(p, other) for p in rule.get(peers, [{}]))
            and self._port_matches(rule, target, port, proto)
            for policy in selecting
            for rule in policy["spec"].get(direction) or []
        )

    def can_connect(self, src: Peer, dst: Peer, port: int, protocol: str = "TCP") -> bool:
        return self._allowed(src, dst, dst, port, protocol, "Egress") and self._allowed(
            dst, src, dst, port, protocol, "Ingress"
        )


def _pods(rendered: Rendered) -> dict[str, Peer]:
    pods = {}
    kinds = ("Deployment", "StatefulSet", "CronJob")
    for obj in [o for kind in kinds for o in rendered.kind(kind)]:
        template = (
            obj["spec"]["jobTemplate"]["spec"]["template"]
            if obj["kind"] == "CronJob"
            else obj["spec"]["template"]
        )
        (container,) = template["spec"]["containers"]
        component = template["metadata"]["labels"]["app.kubernetes.io/component"]
        pods[component] = Peer(
            component,
            NAMESPACE,
            template["metadata"]["labels"],
            {p["name"]: p["containerPort"] for p in container.get("ports", [])},
        )
    return pods


PROMETHEUS = Peer("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"})
PROMETHEUS_ELSEWHERE = Peer("prometheus", "default", {"app.kubernetes.io/name": "prometheus"})
KUBE_DNS = Peer("coredns", "kube-system", {"k8s-app": "kube-dns"})
OTEL = Peer("otel", "observability", {"app.kubernetes.io/name": "otel-collector"})
ALB = Peer("alb", ip="10.40.17.25")
OTHER_POD = Peer("intruder", "default", {"app": "intruder"})
RDS = Peer("rds", ip="10.40.130.7")
S3 = Peer("s3", ip="52.218.48.1")
VPC_HOST = Peer("vpc-host", ip="10.40.70.9")
METADATA = Peer("imds", ip="169.254.169.254")
PUSHGATEWAY = Peer(
    "pushgateway", "monitoring", {"app.kubernetes.io/name": "prometheus-pushgateway"}
)
PUSHGATEWAY_ELSEWHERE = Peer(
    "pushgateway", "default", {"app.kubernetes.io/name": "prometheus-pushgateway"}
)


@pytest.fixture(scope="module")
def cluster(rendered: Rendered) -> Cluster:
    return Cluster(rendered.kind("NetworkPolicy"))


@pytest.fixture(scope="module")
def pods(rendered: Rendered) -> dict[str, Peer]:
    return _pods(rendered)


def test_there_is_a_default_deny_for_the_whole_namespace(rendered: Rendered) -> None:
    deny = rendered.get("NetworkPolicy", f"{RELEASE}-default-deny")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_only_declared_calls_between_components_are_allowed(
    cluster: Cluster, pods: dict[str, Peer], values: dict[str, Any]
) -> None:
    allowed, denied = [], []
    for src, dst in itertools.permutations(pods, 2):
        declared = dst in values["components"].get(src, {}).get("calls", [])
        for port_name in ("http", "grpc", "metrics"):
            port = pods[dst].ports.get(port_name)
            if port is None:
                continue
            ok = cluster.can_connect(pods[src], pods[dst], port)
            (allowed if ok else denied).append((src, dst, port_name))
            assert ok == declared, f"{src} -> {dst}:{port_name} allowed={ok}, declared={declared}"
    assert ("gateway", "res", "http") in allowed
    assert ("res", "lps", "grpc") in allowed
    assert ("users", "feature-consumer", "metrics") in allowed  # GDPR export of a slice's state
    assert ("gateway", "feature-consumer", "metrics") in denied
    assert ("gateway", "users", "http") in denied
    assert ("users", "gateway", "http") in denied
    assert ("drift-monitor", "gateway", "http") in denied


def test_only_routed_services_are_reachable_from_the_load_balancer(
    cluster: Cluster, pods: dict[str, Peer], values: dict[str, Any]
) -> None:
    reachable = {n for n, pod in pods.items() if cluster.can_connect(ALB, pod, 8000)}
    routed = {c for c, spec in values["components"].items() if spec.get("routes")}
    assert reachable == routed
    assert {"gateway", "users"} <= routed and not {"res", "lps", "lake-sink"} & routed
    assert not cluster.can_connect(OTHER_POD, pods["gateway"], 8000)
    assert not cluster.can_connect(Peer("alb-elsewhere", ip="10.40.70.9"), pods["gateway"], 8000)


def test_prometheus_scrapes_every_component_and_nothing_else_does(
    cluster: Cluster, pods: dict[str, Peer], values: dict[str, Any]
) -> None:
    for component, spec in values["components"].items():
        port = spec.get("port") or spec["metricsPort"]
        assert cluster.can_connect(PROMETHEUS, pods[component], port), component
        assert not cluster.can_connect(PROMETHEUS_ELSEWHERE, pods[component], port), component
    assert not cluster.can_connect(PROMETHEUS, pods["res"], 50051), "metrics port only"


def test_every_pod_resolves_dns_and_exports_traces(cluster: Cluster, pods: dict[str, Peer]) -> None:
    for name, pod in pods.items():
        assert cluster.can_connect(pod, KUBE_DNS, 53, "UDP"), name
        assert cluster.can_connect(pod, OTEL, 4317), name
        assert not cluster.can_connect(pod, OTHER_POD, 8000), name


def test_egress_to_data_stores_follows_the_declared_needs(
    cluster: Cluster, pods: dict[str, Peer], values: dict[str, Any]
) -> None:
    targets = values["networkPolicy"]["egressTargets"]
    specs = {**values["components"], **values["cronJobs"]}
    for component, spec in specs.items():
        for target in ("postgres", "kafka", "redis"):
            port = targets[target]["ports"][0]
            ok = cluster.can_connect(pods[component], RDS, port)
            assert ok == (target in spec.get("egress", [])), (component, target)
        aws = "publicHttps" in spec.get("egress", [])
        assert cluster.can_connect(pods[component], S3, 443) == aws, component
        assert not cluster.can_connect(pods[component], VPC_HOST, 443), "443 is not a VPC pass"
        assert not cluster.can_connect(pods[component], METADATA, 80), "no instance metadata"
        assert not cluster.can_connect(pods[component], RDS, 22)


def test_only_jobs_that_push_metrics_reach_the_pushgateway(
    cluster: Cluster, pods: dict[str, Peer], values: dict[str, Any]
) -> None:
    port = values["pushgateway"]["port"]
    specs = {**values["components"], **values["cronJobs"]}
    pushing = {c for c, spec in specs.items() if spec.get("pushMetrics")}
    assert pushing == {"drift-monitor", "retraining-trigger"}
    for component, pod in pods.items():
        assert cluster.can_connect(pod, PUSHGATEWAY, port) == (component in pushing), component
        assert not cluster.can_connect(pod, PUSHGATEWAY_ELSEWHERE, port), component
        assert not cluster.can_connect(pod, PUSHGATEWAY, 9090), "the Pushgateway port only"
