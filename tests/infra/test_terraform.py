"""Terraform for AWS: formatted, valid against the real AWS provider schema where the provider is
on the machine, and checked for the properties the platform relies on (encryption, multi-AZ,
PITR, least privilege) and for consistency with the code and the Helm chart.

``terraform validate`` needs the hashicorp/aws provider. The Terraform registry is not reachable
here (only PyPI, Debian and npm are), so validate runs only where a filesystem mirror of the
provider exists (``$LEARNLOOP_TF_PLUGIN_DIR``, else ``/opt/tf-plugins``, as on this machine kind's
image) and the test says so and skips otherwise; ``terraform fmt`` needs only the binary.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from testkit.infra import CHART, KUBE_VERSION, PRODUCTION_VALUES, TERRAFORM, Tools, run

from features.events import Verb

HCL_TO_JSON = """
import hcl2, json, sys
from pathlib import Path
root = Path(sys.argv[1])
files = sorted(root.rglob("*.tf"))
print(json.dumps({str(p.relative_to(root)): hcl2.load(p.open()) for p in files}))
"""


def unwrap(value: Any) -> Any:
    """python-hcl2 wraps attribute values and blocks in one-element lists."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


@pytest.fixture(scope="module")
def hcl(tools: Tools) -> dict[str, Any]:
    out = run([tools.python, "-c", HCL_TO_JSON, TERRAFORM])
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def blocks(hcl: dict[str, Any], block: str, kind: str) -> dict[str, dict[str, Any]]:
    """All ``<block> "<kind>" "<name>"`` of the root module, by name (resource/data)."""
    found: dict[str, dict[str, Any]] = {}
    for path, content in hcl.items():
        if path.startswith("modules/"):
            continue
        for entry in content.get(block, []):
            for name, body in entry.get(kind, {}).items():
                found[name] = body
    return found


def modules(hcl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path, content in hcl.items():
        if not path.startswith("modules/"):
            for entry in content.get("module", []):
                found.update(entry)
    return found


def variable_default(hcl: dict[str, Any], name: str) -> Any:
    for entry in hcl["variables.tf"]["variable"]:
        if name in entry:
            return unwrap(entry[name].get("default"))
    raise KeyError(name)


def terraform_binary() -> str:
    found = shutil.which("terraform")
    if not found:
        pytest.skip(
            "no terraform binary on this machine and none on PyPI/Debian/npm: "
            "HCL syntax is still parsed (hcl2) and scanned (checkov) by the other tests"
        )
    return found


def test_terraform_fmt_is_clean() -> None:
    result = run(
        [terraform_binary(), "fmt", "-check", "-recursive", "-diff", TERRAFORM],
        env={**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_terraform_validate_against_the_aws_provider_schema(tmp_path: Path) -> None:
    binary = terraform_binary()
    plugin_dir = Path(os.environ.get("LEARNLOOP_TF_PLUGIN_DIR", "/opt/tf-plugins"))
    if not any(plugin_dir.glob("registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*")):
        pytest.skip(
            f"hashicorp/aws provider not mirrored in {plugin_dir}; the Terraform registry is not "
            "reachable from here, so `terraform init` cannot fetch it and validate cannot run"
        )
    work = tmp_path / "terraform"
    shutil.copytree(TERRAFORM, work, ignore=shutil.ignore_patterns(".terraform*"))
    env = {**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null", "TF_IN_AUTOMATION": "1"}
    init = run(
        [binary, "init", "-backend=false", "-input=false", f"-plugin-dir={plugin_dir}"],
        cwd=work,
        env=env,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    validate = run([binary, "validate", "-json"], cwd=work, env=env)
    report = json.loads(validate.stdout)
    assert report["valid"], json.dumps(report["diagnostics"], indent=2)
    assert report["error_count"] == 0 and report["warning_count"] == 0, report["diagnostics"]


def test_every_tier_spans_the_availability_zones(hcl: dict[str, Any]) -> None:
    assert variable_default(hcl, "az_count") >= 3
    subnets = blocks(hcl, "resource", "aws_subnet")
    assert set(subnets) == {"public", "private", "data"}
    for subnet in subnets.values():
        assert unwrap(subnet["count"]) == "${var.az_count}"
        assert "local.azs[count.index]" in unwrap(subnet["availability_zone"])
    assert unwrap(blocks(hcl, "resource", "aws_nat_gateway")["main"]["count"]) == "${var.az_count}"
    cluster = blocks(hcl, "resource", "aws_eks_cluster")["main"]
    assert "aws_subnet.private[*].id" in unwrap(unwrap(cluster["vpc_config"])["subnet_ids"])
    msk = blocks(hcl, "resource", "aws_msk_cluster")["main"]
    assert unwrap(msk["number_of_broker_nodes"]) == "${var.az_count}"


def test_databases_are_encrypted_multi_az_and_recoverable(hcl: dict[str, Any]) -> None:
    rds = blocks(hcl, "resource", "aws_db_instance")["main"]
    for attribute, expected in {
        "multi_az": True,
        "storage_encrypted": True,
        "publicly_accessible": False,
        "deletion_protection": True,
        "manage_master_user_password": True,
        "iam_database_authentication_enabled": True,
    }.items():
        assert unwrap(rds[attribute]) is expected, attribute
    assert "aws_kms_key.data" in unwrap(rds["kms_key_id"])
    assert unwrap(rds["backup_retention_period"]) == "${var.rds_backup_retention_days}"
    assert variable_default(hcl, "rds_backup_retention_days") >= 7  # PITR window
    parameters = {
        unwrap(p["name"]): unwrap(p["value"])
        for p in blocks(hcl, "resource", "aws_db_parameter_group")["postgres"]["parameter"]
    }
    assert parameters["rds.force_ssl"] == "1"

    table = blocks(hcl, "resource", "aws_dynamodb_table")["progress"]
    assert unwrap(unwrap(table["point_in_time_recovery"])["enabled"]) is True
    assert unwrap(unwrap(table["server_side_encryption"])["enabled"]) is True
    assert unwrap(table["deletion_protection_enabled"]) is True

    msk = blocks(hcl, "resource", "aws_msk_cluster")["main"]
    encryption = unwrap(msk["encryption_info"])
    transit = unwrap(encryption["encryption_in_transit"])
    assert unwrap(transit["client_broker"]) == "TLS" and unwrap(transit["in_cluster"]) is True
    assert "aws_kms_key.data" in unwrap(encryption["encryption_at_rest_kms_key_arn"])
    assert unwrap(unwrap(msk["client_authentication"])["unauthenticated"]) is False

    redis = blocks(hcl, "resource", "aws_elasticache_replication_group")["main"]
    for attribute in (
        "multi_az_enabled",
        "automatic_failover_enabled",
        "at_rest_encryption_enabled",
        "transit_encryption_enabled",
    ):
        assert unwrap(redis[attribute]) is True, attribute


def test_buckets_are_versioned_encrypted_logged_and_lifecycled(hcl: dict[str, Any]) -> None:
    module = hcl["modules/secure-bucket/main.tf"]
    resources = {k for entry in module["resource"] for k in entry}
    assert {
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_logging",
        "aws_s3_bucket_policy",
    } <= resources
    buckets = {
        name: body
        for name, body in modules(hcl).items()
        if unwrap(body["source"]) == "./modules/secure-bucket"
    }
    assert {"lake", "ml_artifacts", "athena_results", "content", "logs"} <= set(buckets)
    for name, body in buckets.items():
        assert "aws_kms_key" in unwrap(body["kms_key_arn"]), name
        if name == "logs":
            assert unwrap(body["object_ownership"]) == "BucketOwnerPreferred"
        else:
            assert "log_bucket" in body and "object_ownership" not in body, name
    lake = buckets["lake"]
    assert unwrap(lake["transition_to_ia_days"]) < unwrap(lake["transition_to_glacier_days"])


def test_sagemaker_role_is_least_privilege(hcl: dict[str, Any]) -> None:
    policy = blocks(hcl, "data", "aws_iam_policy_document")["sagemaker"]
    resource_free = {"ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"}
    for statement in policy["statement"]:
        actions = unwrap(statement["actions"])
        actions = actions if isinstance(actions, list) else [actions]
        resources = unwrap(statement["resources"])
        resources = resources if isinstance(resources, list) else [resources]
        assert all("*" not in a for a in actions), f"wildcard action in {statement['sid']}"
        assert "iam:PassRole" not in actions
        if "*" in resources:
            assert set(actions) <= resource_free, statement["sid"]
            if "cloudwatch:PutMetricData" in actions:
                assert "condition" in statement, "PutMetricData limited by namespace"
    assume = unwrap(blocks(hcl, "data", "aws_iam_policy_document")["sagemaker_assume"]["statement"])
    assert unwrap(unwrap(assume["principals"])["identifiers"]) == "sagemaker.amazonaws.com"
    assert "condition" in assume, "confused-deputy guard on aws:SourceAccount"


def test_glue_tables_equal_what_the_analytics_service_generates(hcl: dict[str, Any]) -> None:
    """Terraform's Glue tables = services.analytics.athena.glue_table_input (lake schema)."""
    from services.analytics.athena import glue_table_input

    tables = unwrap(next(e["lake_tables"] for e in hcl["lake.tf"]["locals"] if "lake_tables" in e))
    resource = blocks(hcl, "resource", "aws_glue_catalog_table")["lake"]
    base_parameters = unwrap(resource["parameters"])
    assert base_parameters.startswith("${merge(")
    # python-hcl2 renders the literal map of merge({...}, ...) with quoted keys and values.
    common = dict(re.findall(r"""["']([^"']+)["']\s*[:=]\s*["']([^"']+)["']""", base_parameters))
    assert len(common) >= 8, base_parameters
    for dataset in ("events", "progress"):
        expected = glue_table_input(dataset, "s3://bucket/lake")
        table = unwrap(tables[dataset])
        columns = {c["Name"]: c["Type"] for c in expected["StorageDescriptor"]["Columns"]}
        assert unwrap(table["columns"]) == columns, dataset
        partitions = [(k["Name"], k["Type"]) for k in expected["PartitionKeys"]]
        assert list(unwrap(table["partitions"]).items()) == partitions, dataset
        parameters = {**common, **unwrap(table["projection"])}
        assert parameters == expected["Parameters"], dataset
    projected = unwrap(unwrap(tables["events"])["projection"])["projection.verb.values"]
    assert set(projected.split(",")) == {v.value for v in Verb}
    assert variable_default(hcl, "glue_database") == "learnloop"


def test_irsa_roles_match_the_chart_service_accounts(hcl: dict[str, Any]) -> None:
    statements = next(
        entry["irsa_statements"] for entry in hcl["irsa.tf"]["locals"] if "irsa_statements" in entry
    )
    roles = set(unwrap(statements))
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    workloads = set(values["components"]) | set(values["cronJobs"])
    assert roles <= workloads, roles - workloads
    production = yaml.safe_load(PRODUCTION_VALUES.read_text())
    assert set(production["serviceAccounts"]["roleArns"]) == roles
    assume = unwrap(blocks(hcl, "data", "aws_iam_policy_document")["irsa_assume"]["statement"])
    subjects = [unwrap(c["values"]) for c in assume["condition"] if "sub" in unwrap(c["variable"])]
    assert subjects == [
        "system:serviceaccount:${var.kubernetes_namespace}:${var.helm_release}-${each.key}"
    ]


def test_chart_network_policy_cidrs_are_the_terraform_subnets(hcl: dict[str, Any]) -> None:
    main = next(e for e in hcl["main.tf"]["locals"])
    pattern = re.compile(r"cidrsubnet\(var\.vpc_cidr,\s*4,\s*(?:(\d+)\s*\+\s*)?i\)")
    vpc = ipaddress.ip_network(variable_default(hcl, "vpc_cidr"))
    az_count = variable_default(hcl, "az_count")
    subnets = list(vpc.subnets(new_prefix=vpc.prefixlen + 4))

    def cidrs(local: str) -> list[str]:
        match = pattern.search(unwrap(main[local]))
        assert match, main[local]
        offset = int(match.group(1) or 0)
        return [str(subnets[offset + i]) for i in range(az_count)]

    values = yaml.safe_load((CHART / "values.yaml").read_text())["networkPolicy"]
    assert values["ingressSources"]["loadBalancerCidrs"] == cidrs("public_subnet_cidrs")
    for store in ("postgres", "kafka", "redis"):
        assert values["egressTargets"][store]["cidrs"] == cidrs("data_subnet_cidrs"), store
    group = blocks(hcl, "resource", "aws_security_group")["store"]
    assert unwrap(unwrap(group["ingress"])["from_port"]) == "${each.value}"
    assert "local.private_subnet_cidrs" in unwrap(unwrap(group["ingress"])["cidr_blocks"])
    store_ports = unwrap(group["for_each"])
    assert store_ports == {"postgres": 5432, "kafka": 9096, "redis": 6379}
    for store, port in store_ports.items():
        assert values["egressTargets"][store]["ports"] == [port]


def test_manifests_are_validated_for_the_kubernetes_version_eks_runs(hcl: dict[str, Any]) -> None:
    eks = variable_default(hcl, "eks_version")
    assert KUBE_VERSION.startswith(f"{eks}."), (KUBE_VERSION, eks)
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    minimum = tuple(int(x) for x in re.findall(r"\d+", chart["kubeVersion"])[:2])
    assert tuple(int(x) for x in eks.split(".")) >= minimum


MLFLOW_SETS = ("mlflow_read_actions", "mlflow_run_actions", "mlflow_registry_actions")
MLFLOW_WRITE_VERBS = ("Create", "Update", "Delete", "Set", "Log", "Finalize", "Rename", "Restore")


def _mlflow_sets(expression: Any) -> set[str]:
    """The MLflow action sets (locals of mlflow.tf) an ``actions`` expression grants."""
    text = json.dumps(expression)
    return {name for name in MLFLOW_SETS if f"local.{name}" in text}


def _as_list(value: Any) -> list[Any]:
    value = unwrap(value)
    return value if isinstance(value, list) else [value]


def test_mlflow_actions_are_named_and_split_into_read_run_and_registry(
    hcl: dict[str, Any],
) -> None:
    entry = next(e for e in hcl["mlflow.tf"]["locals"] if "mlflow_read_actions" in e)
    sets = {name: _as_list(entry[name]) for name in MLFLOW_SETS}
    actions = [a for names in sets.values() for a in names]
    assert len(actions) == len(set(actions)), "an action in two sets"
    assert all(re.fullmatch(r"sagemaker-mlflow:[A-Z][A-Za-z]+", a) for a in actions), actions
    verbs = {name: [a.split(":")[1] for a in names] for name, names in sets.items()}
    assert not [a for a in verbs["mlflow_read_actions"] if a.startswith(MLFLOW_WRITE_VERBS)]
    writes = verbs["mlflow_run_actions"] + verbs["mlflow_registry_actions"]
    assert all(a.startswith(MLFLOW_WRITE_VERBS) for a in writes), writes
    # what serving needs to load a champion, what the gate needs to move it
    assert {"GetModelVersionByAlias", "GetDownloadURIForModelVersionArtifacts"} <= set(
        verbs["mlflow_read_actions"]
    )
    assert {"SetRegisteredModelAlias", "CreateModelVersion", "FinalizeLoggedModel"} <= set(
        verbs["mlflow_registry_actions"]
    )


def test_mlflow_server_is_shared_and_each_role_gets_only_its_part(hcl: dict[str, Any]) -> None:
    """One tracking server (artifacts in the ML artifacts bucket, the chart's tracking URI);
    RES / LPS read it, the monitors also write runs, only the pipelines' role registers models
    and moves aliases; every grant is scoped to the server and comes with its S3 prefix."""
    (server,) = blocks(hcl, "resource", "aws_sagemaker_mlflow_tracking_server").values()
    assert unwrap(server["artifact_store_uri"]) == "s3://${module.ml_artifacts.id}/mlflow"
    assert unwrap(server["automatic_model_registration"]) is False
    assert unwrap(server["tracking_server_name"]) == "${local.prefix}"
    arn = "${aws_sagemaker_mlflow_tracking_server.learnloop.arn}"
    artifacts = "${local.mlflow_artifacts}"

    irsa = unwrap(
        next(e["irsa_statements"] for e in hcl["irsa.tf"]["locals"] if "irsa_statements" in e)
    )
    granted: dict[str, set[str]] = {}
    for component, statements in irsa.items():
        for statement in _as_list(statements):
            sets = _mlflow_sets(statement["actions"])
            if sets:
                assert _as_list(statement["resources"]) == [arn], component
                granted.setdefault(component, set()).update(sets)
        s3 = {
            action: {
                resource
                for s in _as_list(statements)
                if action in _as_list(s["actions"])
                for resource in _as_list(s["resources"])
            }
            for action in ("s3:GetObject", "s3:PutObject")
        }
        if component in granted:
            assert artifacts in s3["s3:GetObject"], component
        if "mlflow_run_actions" in granted.get(component, set()):
            assert artifacts in s3["s3:PutObject"], component
    read, run_ = {"mlflow_read_actions"}, {"mlflow_read_actions", "mlflow_run_actions"}
    assert granted == {"res": read, "lps": read, "drift-monitor": run_, "retraining-trigger": run_}

    sagemaker = blocks(hcl, "data", "aws_iam_policy_document")["sagemaker"]["statement"]
    (register,) = [s for s in sagemaker if _mlflow_sets(s["actions"])]
    assert _mlflow_sets(register["actions"]) == set(MLFLOW_SETS)
    assert _as_list(register["resources"]) == [arn]

    outputs = {name for e in hcl["outputs.tf"]["output"] for name in e}
    assert "mlflow_tracking_server_arn" in outputs
    production = yaml.safe_load(PRODUCTION_VALUES.read_text())["config"]
    prefix = f"{variable_default(hcl, 'name')}-{variable_default(hcl, 'environment')}"
    assert re.fullmatch(
        rf"arn:aws:sagemaker:[a-z0-9-]+:\d{{12}}:mlflow-tracking-server/{prefix}",
        production["LEARNLOOP_MLFLOW__TRACKING_URI"],
    )


def test_retraining_starts_a_sagemaker_pipeline_its_role_may_upsert(hcl: dict[str, Any]) -> None:
    """In production the retraining CronJob deploys and starts the SageMaker training pipeline
    (not a training run in its own pod): the chart names the pipeline, role and bucket Terraform
    creates, and the trigger's IRSA role may create, update and start exactly such pipelines."""
    values = yaml.safe_load((CHART / "values.yaml").read_text())["config"]
    config = values | yaml.safe_load(PRODUCTION_VALUES.read_text())["config"]
    prefix = f"{variable_default(hcl, 'name')}-{variable_default(hcl, 'environment')}"
    assert config["LEARNLOOP_PIPELINE__RETRAIN_TARGET"] == "sagemaker"
    assert config["LEARNLOOP_SAGEMAKER__PIPELINE_NAME"].startswith(f"{prefix}-")
    assert re.fullmatch(
        rf"arn:aws:iam::\d{{12}}:role/{prefix}-sagemaker", config["LEARNLOOP_SAGEMAKER__ROLE_ARN"]
    )
    assert re.fullmatch(rf"{prefix}-ml-artifacts-\d{{12}}", config["LEARNLOOP_SAGEMAKER__BUCKET"])
    assert unwrap(blocks(hcl, "resource", "aws_iam_role")["sagemaker"]["name"]) == (
        "${local.prefix}-sagemaker"
    )
    irsa = unwrap(
        next(e["irsa_statements"] for e in hcl["irsa.tf"]["locals"] if "irsa_statements" in e)
    )
    pipelines = [
        s
        for s in _as_list(irsa["retraining-trigger"])
        if "sagemaker:StartPipelineExecution" in _as_list(s["actions"])
    ]
    (statement,) = pipelines
    assert {"sagemaker:CreatePipeline", "sagemaker:UpdatePipeline"} <= set(
        _as_list(statement["actions"])
    )
    assert _as_list(statement["resources"]) == [
        "arn:${local.partition}:sagemaker:${var.region}:${local.account_id}:pipeline/${local.prefix}-*"
    ]
