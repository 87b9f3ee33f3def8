"""The SageMaker Pipeline compiled from the step graph, validated offline (no AWS call)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from learnloop.settings import Settings
from pipelines.graph import STEPS
from pipelines.sagemaker.container import container_paths, unpack_model_tarballs


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        data_dir=tmp_path_factory.mktemp("sm"),
        sagemaker={
            "region": "eu-west-1",
            "role_arn": "arn:aws:iam::111122223333:role/learnloop-sm",
            "bucket": "ml-artifacts",
            "image_uri": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/learnloop:1.2.3",
            "processing_instance_type": "ml.m5.large",
            "training_instance_type": "ml.c5.2xlarge",
        },
        mlflow={"tracking_uri": "https://mlflow.internal"},
        lake={"uri": "s3://lake-bucket/lake"},
    )


@pytest.fixture(scope="module")
def definition(settings: Settings) -> dict[str, Any]:
    from pipelines.sagemaker.compiler import compile_definition

    return compile_definition(settings)


def steps(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for step in definition["Steps"]:
        out[step["Name"]] = step
        for nested in ("IfSteps", "ElseSteps"):
            for inner in step.get("Arguments", {}).get(nested, []):
                out[inner["Name"]] = inner
    return out


def referenced_steps(step: dict[str, Any]) -> set[str]:
    return set(re.findall(r'"Get": "Steps\.([a-z_]+)\.', json.dumps(step)))


def test_every_graph_step_is_compiled_with_its_kind(definition: dict[str, Any]) -> None:
    compiled = steps(definition)
    for spec in STEPS:
        expected = "Training" if spec.kind == "training" else "Processing"
        assert compiled[spec.name]["Type"] == expected
    assert compiled["gate"]["Type"] == "Condition"
    assert compiled["register_model_package"]["Type"] == "RegisterModel"
    assert compiled["gate_failed"]["Type"] == "Fail"


def test_dependencies_follow_the_graph(definition: dict[str, Any]) -> None:
    compiled = steps(definition)
    for spec in STEPS:
        assert referenced_steps(compiled[spec.name]) == set(spec.upstream), spec.name
    assert referenced_steps(compiled["register_model_package"]) == {"train_kt"}


def test_gate_condition_reads_the_register_property_file(definition: dict[str, Any]) -> None:
    gate = steps(definition)["gate"]["Arguments"]
    (condition,) = gate["Conditions"]
    assert condition["Type"] == "Equals" and condition["RightValue"] is True
    json_get = condition["LeftValue"]["Std:JsonGet"]
    assert json_get == {
        "PropertyFile": {"Get": "Steps.register.PropertyFiles.GateReport"},
        "Path": "kt.passed",
    }
    assert [s["Name"] for s in gate["IfSteps"]] == ["promote", "register_model_package"]
    assert [s["Name"] for s in gate["ElseSteps"]] == ["gate_failed"]
    register = steps(definition)["register"]
    assert register["PropertyFiles"] == [
        {"PropertyFileName": "GateReport", "OutputName": "register", "FilePath": "gate.json"}
    ]


def test_containers_run_the_step_command_on_the_image_parameter(definition: dict[str, Any]) -> None:
    compiled = steps(definition)
    for spec in STEPS:
        args = compiled[spec.name]["Arguments"]
        command = ["learnloop", "pipeline", "step", spec.name, "--sagemaker"]
        if spec.kind == "training":
            algo = args["AlgorithmSpecification"]
            assert algo["ContainerEntrypoint"] == command
            assert algo["TrainingImage"] == {"Get": "Parameters.ImageUri"}
            assert args["ResourceConfig"]["InstanceType"] == {
                "Get": "Parameters.TrainingInstanceType"
            }
            assert args["Environment"]["LEARNLOOP_LAKE__URI"] == {"Get": "Parameters.LakeUri"}
        else:
            app = args["AppSpecification"]
            assert app["ContainerEntrypoint"] == command
            assert app["ImageUri"] == {"Get": "Parameters.ImageUri"}
            assert args["ProcessingResources"]["ClusterConfig"]["InstanceType"] == {
                "Get": "Parameters.ProcessingInstanceType"
            }
            assert args["Environment"]["LEARNLOOP_MLFLOW__TRACKING_URI"] == {
                "Get": "Parameters.MlflowTrackingUri"
            }
        assert args["RoleArn"] == "arn:aws:iam::111122223333:role/learnloop-sm"


def test_parameters_carry_the_settings_as_defaults(definition: dict[str, Any]) -> None:
    params = {p["Name"]: p.get("DefaultValue") for p in definition["Parameters"]}
    assert params == {
        "ImageUri": "111122223333.dkr.ecr.eu-west-1.amazonaws.com/learnloop:1.2.3",
        "ProcessingInstanceType": "ml.m5.large",
        "TrainingInstanceType": "ml.c5.2xlarge",
        "LakeUri": "s3://lake-bucket/lake",
        "MlflowTrackingUri": "https://mlflow.internal",
        "Quick": "false",
        "AucTolerance": "0.005",
        "LatencyBudgetMs": "50.0",
    }
    package = steps(definition)["register_model_package"]["Arguments"]
    assert package["ModelPackageGroupName"] == "learnloop-kt"
    assert package["ModelApprovalStatus"] == "Approved"


def test_container_paths_and_model_tarball(tmp_path: Path) -> None:
    inputs, out = container_paths("evaluate", tmp_path)
    assert inputs["train_kt"] == tmp_path / "processing" / "input" / "train_kt"
    assert out == tmp_path / "processing" / "output" / "evaluate"
    inputs, out = container_paths("train_kt", tmp_path)
    assert inputs == {"features": tmp_path / "input" / "data" / "features"} and out.name == "model"
    import tarfile

    folder = tmp_path / "in"
    (folder / "models").mkdir(parents=True)
    (folder / "models" / "bkt.npz").write_bytes(b"x")
    with tarfile.open(folder / "model.tar.gz", "w:gz") as tar:
        tar.add(folder / "models", arcname="models")
    (folder / "models" / "bkt.npz").unlink()
    unpack_model_tarballs(folder)
    assert (folder / "models" / "bkt.npz").read_bytes() == b"x"
    assert not (folder / "model.tar.gz").exists()


def test_create_request_carries_the_definition_inline(settings: Settings) -> None:
    """The SDK uploads a definition over its inline limit (100 KB) to the session's default
    bucket (``sagemaker-<region>-<account>``), which the retraining trigger's role may not write
    or create; ours must stay inline in the CreatePipeline / UpdatePipeline request."""
    from pipelines.sagemaker.compiler import compile_pipeline

    pipeline = compile_pipeline(settings)
    request = pipeline._create_args(settings.sagemaker.role_arn, "retrain", None)
    assert "PipelineDefinitionS3Location" not in request
    assert json.loads(request["PipelineDefinition"])["Steps"]
    assert request["RoleArn"] == settings.sagemaker.role_arn
