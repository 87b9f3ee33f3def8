# ---- SageMaker execution role (training / processing / pipelines compiled by pipelines/),
# least privilege: read the lake and features, read/write its own prefixes of the ML artifacts
# bucket, use the data key, pull the learnloop image, write its own logs and metrics. No
# wildcard actions; "*" resources only where AWS offers no resource-level permission, and then
# narrowed by a condition.
data "aws_iam_policy_document" "sagemaker_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

data "aws_iam_policy_document" "sagemaker" {
  statement {
    sid       = "ReadLakeAndFeatures"
    actions   = ["s3:GetObject"]
    resources = ["${module.lake.arn}/lake/*", "${module.lake.arn}/features/*"]
  }
  statement {
    sid       = "ListLake"
    actions   = ["s3:ListBucket"]
    resources = [module.lake.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["lake/*", "features/*"]
    }
  }
  statement {
    sid       = "ReadWriteOwnArtifacts"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${module.ml_artifacts.arn}/sagemaker/*", "${module.ml_artifacts.arn}/models/*", "${module.ml_artifacts.arn}/mlflow/*"]
  }
  statement {
    sid       = "ListArtifacts"
    actions   = ["s3:ListBucket"]
    resources = [module.ml_artifacts.arn]
  }
  statement {
    # train, evaluate, gate and register: runs, logged models, versions, aliases (mlflow.tf)
    sid       = "TrackAndRegisterModels"
    actions   = concat(local.mlflow_read_actions, local.mlflow_run_actions, local.mlflow_registry_actions)
    resources = [aws_sagemaker_mlflow_tracking_server.learnloop.arn]
  }
  statement {
    sid       = "UseDataKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.data.arn]
  }
  statement {
    sid       = "PullLearnloopImage"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [aws_ecr_repository.learnloop.arn]
  }
  statement {
    # ecr:GetAuthorizationToken has no resource-level permissions.
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/aws/sagemaker/*"]
  }
  statement {
    # cloudwatch:PutMetricData has no resource-level permissions: limited to SageMaker namespaces.
    sid       = "OwnMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringLike"
      variable = "cloudwatch:namespace"
      values   = ["/aws/sagemaker/*", "learnloop/*"]
    }
  }
}

resource "aws_iam_role" "sagemaker" {
  name               = "${local.prefix}-sagemaker"
  assume_role_policy = data.aws_iam_policy_document.sagemaker_assume.json
}

resource "aws_iam_role_policy" "sagemaker" {
  role   = aws_iam_role.sagemaker.id
  policy = data.aws_iam_policy_document.sagemaker.json
}

# The retraining trigger starts pipelines that run as this role.
data "aws_iam_policy_document" "retraining_pass_role" {
  statement {
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.sagemaker.arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "retraining_pass_role" {
  role   = aws_iam_role.irsa["retraining-trigger"].id
  name   = "pass-sagemaker-role"
  policy = data.aws_iam_policy_document.retraining_pass_role.json
}
