# ---- MLflow: experiment tracking and the model registry that every pod and pipeline shares (a
# SageMaker managed MLflow tracking server; the chart's LEARNLOOP_MLFLOW__TRACKING_URI is its
# ARN). Clients call it with SigV4 (the sagemaker-mlflow plugin, IRSA credentials) and read and
# write artifacts in S3 themselves, under mlflow/ of the ML artifacts bucket, so each role gets
# both the sagemaker-mlflow actions it needs and that prefix.
#
# Action names: the AWS Service Authorization Reference for "Amazon SageMaker with MLflow"
# (service prefix sagemaker-mlflow), including the MLflow 3 logged-model actions. No wildcards:
# readers (RES, LPS) cannot change the registry, the monitors write runs only, and aliases are
# moved only by the pipelines (gate / promote / rollback) under the SageMaker execution role.
locals {
  mlflow_artifacts = "${module.ml_artifacts.arn}/mlflow/*"

  # Load a champion by alias, read runs, metrics and artifacts.
  mlflow_read_actions = [
    "sagemaker-mlflow:GetExperiment",
    "sagemaker-mlflow:GetExperimentByName",
    "sagemaker-mlflow:SearchExperiments",
    "sagemaker-mlflow:GetRun",
    "sagemaker-mlflow:SearchRuns",
    "sagemaker-mlflow:GetMetricHistory",
    "sagemaker-mlflow:ListArtifacts",
    "sagemaker-mlflow:GetRegisteredModel",
    "sagemaker-mlflow:SearchRegisteredModels",
    "sagemaker-mlflow:GetModelVersion",
    "sagemaker-mlflow:GetModelVersionByAlias",
    "sagemaker-mlflow:GetLatestModelVersions",
    "sagemaker-mlflow:SearchModelVersions",
    "sagemaker-mlflow:GetDownloadURIForModelVersionArtifacts",
    "sagemaker-mlflow:GetLoggedModel",
    "sagemaker-mlflow:SearchLoggedModels",
    "sagemaker-mlflow:ListLoggedModelArtifacts",
  ]
  # Record runs (drift checks, trigger decisions, training and gate runs).
  mlflow_run_actions = [
    "sagemaker-mlflow:CreateExperiment",
    "sagemaker-mlflow:SetExperimentTag",
    "sagemaker-mlflow:CreateRun",
    "sagemaker-mlflow:UpdateRun",
    "sagemaker-mlflow:LogMetric",
    "sagemaker-mlflow:LogParam",
    "sagemaker-mlflow:LogBatch",
    "sagemaker-mlflow:LogInputs",
    "sagemaker-mlflow:LogOutputs",
    "sagemaker-mlflow:SetTag",
  ]
  # Log and register models, record gate decisions, move the champion / challenger aliases.
  mlflow_registry_actions = [
    "sagemaker-mlflow:LogModel",
    "sagemaker-mlflow:FinalizeLoggedModel",
    "sagemaker-mlflow:LogLoggedModelParams",
    "sagemaker-mlflow:SetLoggedModelTags",
    "sagemaker-mlflow:CreateRegisteredModel",
    "sagemaker-mlflow:UpdateRegisteredModel",
    "sagemaker-mlflow:SetRegisteredModelTag",
    "sagemaker-mlflow:CreateModelVersion",
    "sagemaker-mlflow:UpdateModelVersion",
    "sagemaker-mlflow:SetModelVersionTag",
    "sagemaker-mlflow:SetRegisteredModelAlias",
    "sagemaker-mlflow:DeleteRegisteredModelAlias",
  ]
}

resource "aws_sagemaker_mlflow_tracking_server" "learnloop" {
  tracking_server_name            = local.prefix
  role_arn                        = aws_iam_role.mlflow.arn
  artifact_store_uri              = "s3://${module.ml_artifacts.id}/mlflow"
  tracking_server_size            = var.mlflow_tracking_server_size
  mlflow_version                  = var.mlflow_version
  automatic_model_registration    = false # the pipelines' gate registers (pipelines/steps)
  weekly_maintenance_window_start = "Sun:03:00"
}

# The tracking server's own role (assumed by SageMaker, as the execution role: sagemaker.tf): the
# artifact store (UI artifact views, run deletion).
data "aws_iam_policy_document" "mlflow" {
  statement {
    sid       = "ArtifactStore"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [local.mlflow_artifacts]
  }
  statement {
    sid       = "ListArtifactStore"
    actions   = ["s3:ListBucket"]
    resources = [module.ml_artifacts.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["mlflow", "mlflow/*"]
    }
  }
  statement {
    sid       = "LocateArtifactStore"
    actions   = ["s3:GetBucketLocation"]
    resources = [module.ml_artifacts.arn]
  }
  statement {
    sid       = "UseDataKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.data.arn]
  }
}

resource "aws_iam_role" "mlflow" {
  name               = "${local.prefix}-mlflow"
  assume_role_policy = data.aws_iam_policy_document.sagemaker_assume.json
}

resource "aws_iam_role_policy" "mlflow" {
  role   = aws_iam_role.mlflow.id
  policy = data.aws_iam_policy_document.mlflow.json
}
