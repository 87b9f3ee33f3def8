"""Compile the step graph (:mod:`pipelines.graph`) into a SageMaker Pipeline (SDK v3).

Every step runs the learnloop image (``infra/docker/Dockerfile``) with the container entrypoint
``learnloop pipeline step NAME --sagemaker``: processing steps for ingest, validate, features,
evaluate, register and promote, training steps for ``train_kt`` / ``train_rec`` (outputs in
``/opt/ml/model``). Upstream outputs are wired as inputs through step properties, so SageMaker
derives the same dependencies as the local graph. ``register`` writes ``gate.json``; a
ConditionStep on ``kt.passed`` runs ``promote`` (MLflow champion alias) and registers the model
package in the SageMaker Model Registry, or fails the execution with the gate's reasons.

No AWS call happens here: the session has its default bucket set and no local code is uploaded.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from learnloop.settings import Settings
from pipelines.graph import STEPS, StepSpec

if TYPE_CHECKING:
    from sagemaker.mlops.workflow import Pipeline

PLACEHOLDER_ROLE = "arn:aws:iam::123456789012:role/learnloop-sagemaker"
PROCESSING_ROOT = "/opt/ml/processing"
GATE_PROPERTY_FILE = "GateReport"
EVALUATION_PROPERTY_FILE = "EvaluationReport"
OFFLINE_ENV = {
    "AWS_ACCESS_KEY_ID": "compile-only",
    "AWS_SECRET_ACCESS_KEY": "compile-only",
    "SAGEMAKER_VALIDATE_ROLE": "false",
}


@dataclass(frozen=True)
class Parameters:
    """The pipeline parameters (overridable per execution)."""

    image: Any
    processing_instance: Any
    training_instance: Any
    lake_uri: Any
    tracking_uri: Any
    quick: Any
    auc_tolerance: Any
    latency_budget_ms: Any

    def all(self) -> list[Any]:
        return [getattr(self, f) for f in self.__dataclass_fields__]


def _parameters(settings: Settings) -> Parameters:
    from sagemaker.core.workflow.parameters import ParameterString

    sm, pipe = settings.sagemaker, settings.pipeline
    lake = settings.lake.uri or f"s3://{sm.bucket or 'learnloop-lake'}/lake"
    return Parameters(
        image=ParameterString("ImageUri", default_value=sm.image_uri),
        processing_instance=ParameterString(
            "ProcessingInstanceType", default_value=sm.processing_instance_type
        ),
        training_instance=ParameterString(
            "TrainingInstanceType", default_value=sm.training_instance_type
        ),
        lake_uri=ParameterString("LakeUri", default_value=lake),
        tracking_uri=ParameterString(
            "MlflowTrackingUri", default_value=settings.mlflow.tracking_uri or "http://mlflow:5000"
        ),
        quick=ParameterString("Quick", default_value="false", enum_values=["true", "false"]),
        auc_tolerance=ParameterString("AucTolerance", default_value=str(pipe.auc_tolerance)),
        latency_budget_ms=ParameterString(
            "LatencyBudgetMs", default_value=str(pipe.latency_budget_ms)
        ),
    )


def session(settings: Settings) -> Any:
    """A ``PipelineSession`` for ``settings.sagemaker`` that never calls AWS to build a
    definition (default bucket preset, telemetry off)."""
    import boto3
    from sagemaker.core.workflow.pipeline_context import PipelineSession

    sm = settings.sagemaker
    bucket = sm.bucket or "learnloop-ml-artifacts"
    config = {
        "SchemaVersion": "1.0",
        "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
    }
    pipeline_session = PipelineSession(
        boto_session=boto3.Session(region_name=sm.region),
        default_bucket=bucket,
        sagemaker_config=config,
    )
    pipeline_session._default_bucket = bucket  # skip the bucket existence check
    return pipeline_session


def _environment(params: Parameters) -> dict[str, Any]:
    return {
        "LEARNLOOP_ENV": "production",
        "LEARNLOOP_DATA_DIR": "/tmp/learnloop",  # noqa: S108 - container scratch space
        "LEARNLOOP_LOG_JSON": "true",
        "LEARNLOOP_LAKE__URI": params.lake_uri,
        "LEARNLOOP_MLFLOW__TRACKING_URI": params.tracking_uri,
        "LEARNLOOP_PIPELINE__QUICK": params.quick,
        "LEARNLOOP_PIPELINE__AUC_TOLERANCE": params.auc_tolerance,
        "LEARNLOOP_PIPELINE__LATENCY_BUDGET_MS": params.latency_budget_ms,
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }


def _s3(settings: Settings, step: str) -> Any:
    from sagemaker.core.workflow.execution_variables import ExecutionVariables
    from sagemaker.core.workflow.functions import Join

    sm = settings.sagemaker
    bucket = sm.bucket or "learnloop-ml-artifacts"
    return Join(
        on="/",
        values=[f"s3://{bucket}", sm.prefix, ExecutionVariables.PIPELINE_EXECUTION_ID, step],
    )


def _output_uri(step: Any) -> Any:
    """S3 URI of an upstream step's output folder (processing output or model tarball)."""
    from sagemaker.mlops.workflow import TrainingStep

    if isinstance(step, TrainingStep):
        return step.properties.ModelArtifacts.S3ModelArtifacts
    return step.properties.ProcessingOutputConfig.Outputs[step.name].S3Output.S3Uri


def _processing_step(
    spec: StepSpec, built: dict[str, Any], settings: Settings, params: Parameters, sess: Any
) -> Any:
    from sagemaker.core.processing import Processor
    from sagemaker.core.shapes import (
        ProcessingInput,
        ProcessingOutput,
        ProcessingS3Input,
        ProcessingS3Output,
    )
    from sagemaker.core.workflow.properties import PropertyFile
    from sagemaker.mlops.workflow import ProcessingStep

    processor = Processor(
        role=settings.sagemaker.role_arn or PLACEHOLDER_ROLE,
        image_uri=params.image,
        instance_count=1,
        instance_type=params.processing_instance,
        entrypoint=["learnloop", "pipeline", "step", spec.name, "--sagemaker"],
        env=_environment(params),
        base_job_name=f"learnloop-{spec.name.replace('_', '-')}",
        sagemaker_session=sess,
    )
    inputs = [
        ProcessingInput(
            input_name=up,
            s3_input=ProcessingS3Input(
                s3_uri=_output_uri(built[up]),
                local_path=f"{PROCESSING_ROOT}/input/{up}",
                s3_data_type="S3Prefix",
                s3_input_mode="File",
            ),
        )
        for up in spec.upstream
    ]
    outputs = [
        ProcessingOutput(
            output_name=spec.name,
            s3_output=ProcessingS3Output(
                s3_uri=_s3(settings, spec.name),
                local_path=f"{PROCESSING_ROOT}/output/{spec.name}",
                s3_upload_mode="EndOfJob",
            ),
        )
    ]
    property_files = []
    if spec.name == "evaluate":
        property_files.append(PropertyFile(EVALUATION_PROPERTY_FILE, "evaluate", "evaluation.json"))
    if spec.name == "register":
        property_files.append(PropertyFile(GATE_PROPERTY_FILE, "register", "gate.json"))
    return ProcessingStep(
        name=spec.name,
        step_args=processor.run(inputs=inputs or None, outputs=outputs),
        description=spec.description,
        property_files=property_files or None,
    )


def _training_step(
    spec: StepSpec, built: dict[str, Any], settings: Settings, params: Parameters, sess: Any
) -> Any:
    from sagemaker.mlops.workflow import TrainingStep
    from sagemaker.train import ModelTrainer
    from sagemaker.train.configs import Compute, InputData, OutputDataConfig, StoppingCondition

    entrypoint = ["learnloop", "pipeline", "step", spec.name, "--sagemaker"]

    class EntrypointTrainingStep(TrainingStep):
        """A training step whose container runs ``learnloop pipeline step`` (not ``train``)."""

        @property
        def arguments(self) -> Any:
            request = super().arguments
            request["AlgorithmSpecification"]["ContainerEntrypoint"] = entrypoint
            return request

    trainer = ModelTrainer(
        training_image=params.image,
        role=settings.sagemaker.role_arn or PLACEHOLDER_ROLE,
        sagemaker_session=sess,
        compute=Compute(instance_type=params.training_instance, instance_count=1),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=4 * 3600),
        base_job_name=f"learnloop-{spec.name.replace('_', '-')}",
        environment=_environment(params),
        output_data_config=OutputDataConfig(s3_output_path=_s3(settings, spec.name)),
    )
    channels = [
        InputData(channel_name=up, data_source=_output_uri(built[up])) for up in spec.upstream
    ]
    return EntrypointTrainingStep(
        name=spec.name,
        step_args=trainer.train(input_data_config=channels),
        description=spec.description,
    )


def _gate(
    built: dict[str, Any], settings: Settings, params: Parameters, sess: Any
) -> tuple[Any, Any]:
    """ConditionStep on the gate's ``kt.passed`` → promote + model package, else fail."""
    from sagemaker.core.workflow.conditions import ConditionEquals
    from sagemaker.core.workflow.functions import Join, JsonGet
    from sagemaker.mlops.workflow import ConditionStep, FailStep, ModelStep
    from sagemaker.serve.model_builder import ModelBuilder

    register = built["register"]
    gate_file = register.property_files[0]
    passed = JsonGet(step_name=register.name, property_file=gate_file, json_path="kt.passed")
    reasons = JsonGet(step_name=register.name, property_file=gate_file, json_path="kt.reasons")
    sm = settings.sagemaker
    package = ModelBuilder(
        image_uri=params.image,
        s3_model_data_url=_output_uri(built["train_kt"]),
        role_arn=sm.role_arn or PLACEHOLDER_ROLE,
        sagemaker_session=sess,
    ).register(
        model_package_group_name=sm.model_package_group,
        content_types=["application/json"],
        response_types=["application/json"],
        inference_instances=[sm.inference_instance_type],
        transform_instances=[sm.inference_instance_type],
        approval_status="Approved",
    )
    register_package = ModelStep(name="register_model_package", step_args=package)
    fail = FailStep(
        name="gate_failed",
        error_message=Join(on="", values=["the challenger did not pass the gate: ", reasons]),
    )
    condition = ConditionStep(
        name="gate",
        conditions=[ConditionEquals(left=passed, right=True)],
        if_steps=[built["promote"], register_package],
        else_steps=[fail],
    )
    return condition, register_package


def compile_pipeline(settings: Settings, *, offline: bool = True) -> Pipeline:
    """The SageMaker ``Pipeline`` object of the step graph (``offline``: dummy credentials if
    none are configured, so building the definition never needs AWS)."""
    if offline:
        for key, value in OFFLINE_ENV.items():
            os.environ.setdefault(key, value)
    os.environ.setdefault("AWS_DEFAULT_REGION", settings.sagemaker.region)
    from sagemaker.mlops.workflow import Pipeline

    sess = session(settings)
    params = _parameters(settings)
    built: dict[str, Any] = {}
    with warnings.catch_warnings():  # "no job being started" under a PipelineSession: the point
        warnings.filterwarnings("ignore", "Running within a PipelineSession", UserWarning)
        for spec in STEPS:
            make = _training_step if spec.kind == "training" else _processing_step
            built[spec.name] = make(spec, built, settings, params, sess)
        gate, _ = _gate(built, settings, params, sess)
    top_level = [built[s.name] for s in STEPS if s.name != "promote"] + [gate]
    return Pipeline(
        name=settings.sagemaker.pipeline_name,
        parameters=params.all(),
        steps=top_level,
        sagemaker_session=sess,
    )


def compile_definition(settings: Settings) -> dict[str, Any]:
    """The pipeline definition (what ``CreatePipeline`` receives) as a dict."""
    import json

    definition: dict[str, Any] = json.loads(compile_pipeline(settings).definition())
    return definition
