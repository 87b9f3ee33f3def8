"""``learnloop pipeline deploy --target sagemaker``: upsert the compiled pipeline and start it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from learnloop.settings import Settings


class DeployError(RuntimeError):
    """Deployment is impossible as configured (no credentials, no role or bucket)."""


@dataclass
class DeployResult:
    """What the deployment did."""

    pipeline_arn: str
    execution_arn: str | None

    def summary(self) -> str:
        started = f"; started {self.execution_arn}" if self.execution_arn else ""
        return f"upserted {self.pipeline_arn}{started}"


def check_credentials(settings: Settings) -> None:
    """Raise :class:`DeployError` (one line) unless AWS credentials, role and bucket are set."""
    import boto3

    if boto3.Session(region_name=settings.sagemaker.region).get_credentials() is None:
        raise DeployError(
            "no AWS credentials found (AWS_PROFILE, AWS_ACCESS_KEY_ID or an instance role); "
            "cannot deploy to SageMaker — `learnloop pipeline compile` works offline"
        )
    missing = [
        f"LEARNLOOP_SAGEMAKER__{k.upper()}"
        for k in ("role_arn", "bucket")
        if not getattr(settings.sagemaker, k)
    ]
    if missing:
        raise DeployError(f"set {' and '.join(missing)} to deploy to SageMaker")


def deploy_pipeline(
    settings: Settings, *, start: bool = True, parameters: dict[str, Any] | None = None
) -> DeployResult:
    """Create or update the SageMaker pipeline; start an execution when ``start``."""
    check_credentials(settings)
    from pipelines.sagemaker.compiler import compile_pipeline

    pipeline = compile_pipeline(settings, offline=False)
    response = pipeline.upsert(role_arn=settings.sagemaker.role_arn)
    execution = pipeline.start(parameters=parameters or {}) if start else None
    arn = getattr(execution, "arn", None) if execution is not None else None
    return DeployResult(str(response.get("PipelineArn", settings.sagemaker.pipeline_name)), arn)
