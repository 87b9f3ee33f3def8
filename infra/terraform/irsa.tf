# One IAM role per chart component (service account <release>-<component> in the chart's
# namespace), each with only the actions and resources that component uses. Components without
# an entry get no AWS permissions at all. Output: irsa_role_arns -> Helm serviceAccounts.roleArns.
locals {
  oidc_issuer = replace(aws_iam_openid_connect_provider.eks.url, "https://", "")

  lake_objects = "${module.lake.arn}/lake/*"
  kms_use      = ["kms:Decrypt", "kms:GenerateDataKey"]

  irsa_statements = {
    catalog = [
      { actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], resources = ["${module.content.arn}/*"] },
      { actions = ["s3:ListBucket"], resources = [module.content.arn] },
    ]
    progress = [
      {
        actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:DeleteItem"]
        resources = [aws_dynamodb_table.progress.arn, "${aws_dynamodb_table.progress.arn}/index/*"]
      },
    ]
    analytics = [
      { actions = ["s3:GetObject"], resources = [local.lake_objects] },
      { actions = ["s3:ListBucket", "s3:GetBucketLocation"], resources = [module.lake.arn] },
      { actions = ["s3:GetObject", "s3:PutObject"], resources = ["${module.athena_results.arn}/*"] },
      { actions = ["s3:ListBucket", "s3:GetBucketLocation"], resources = [module.athena_results.arn] },
      { actions = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution"], resources = [aws_athena_workgroup.lake.arn] },
      { actions = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartitions"], resources = local.glue_read_arns },
    ]
    # RES / LPS load their champions from the MLflow registry (mlflow.tf): read only.
    res = [
      { actions = ["s3:GetObject"], resources = ["${module.ml_artifacts.arn}/models/*", local.mlflow_artifacts] },
      { actions = ["s3:ListBucket"], resources = [module.ml_artifacts.arn] },
      { actions = local.mlflow_read_actions, resources = [aws_sagemaker_mlflow_tracking_server.learnloop.arn] },
    ]
    lps = [
      { actions = ["s3:GetObject"], resources = ["${module.ml_artifacts.arn}/models/*", local.mlflow_artifacts] },
      { actions = ["s3:ListBucket"], resources = [module.ml_artifacts.arn] },
      { actions = local.mlflow_read_actions, resources = [aws_sagemaker_mlflow_tracking_server.learnloop.arn] },
    ]
    # A dataset's staging and transaction files live under the dataset (features/lake/store.py).
    lake-sink = [
      { actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], resources = ["${module.lake.arn}/lake/events/*"] },
      { actions = ["s3:ListBucket"], resources = [module.lake.arn] },
    ]
    progress-sink = [
      { actions = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], resources = ["${module.lake.arn}/lake/progress/*"] },
      { actions = ["s3:ListBucket"], resources = [module.lake.arn] },
    ]
    feature-consumer = [
      { actions = ["s3:GetObject", "s3:PutObject"], resources = ["${module.lake.arn}/features/*"] },
      { actions = ["s3:ListBucket"], resources = [module.lake.arn] },
    ]
    # The drift checks read the champion's reference data and record each check as an MLflow run.
    drift-monitor = [
      { actions = ["s3:GetObject"], resources = [local.lake_objects, "${module.ml_artifacts.arn}/models/*", local.mlflow_artifacts] },
      { actions = ["s3:PutObject"], resources = ["${module.ml_artifacts.arn}/drift-reports/*", local.mlflow_artifacts] },
      { actions = ["s3:ListBucket"], resources = [module.lake.arn, module.ml_artifacts.arn] },
      { actions = concat(local.mlflow_read_actions, local.mlflow_run_actions), resources = [aws_sagemaker_mlflow_tracking_server.learnloop.arn] },
    ]
    # `pipeline trigger` upserts the compiled training pipeline, then starts it (pipelines/sagemaker/deploy.py).
    retraining-trigger = [
      { actions = ["sagemaker:CreatePipeline", "sagemaker:UpdatePipeline", "sagemaker:DescribePipeline", "sagemaker:StartPipelineExecution", "sagemaker:DescribePipelineExecution", "sagemaker:ListPipelineExecutions"], resources = ["arn:${local.partition}:sagemaker:${var.region}:${local.account_id}:pipeline/${local.prefix}-*"] },
      { actions = ["s3:GetObject"], resources = ["${module.ml_artifacts.arn}/drift-reports/*", local.lake_objects, local.mlflow_artifacts] },
      { actions = ["s3:PutObject"], resources = [local.mlflow_artifacts] },
      { actions = ["s3:ListBucket"], resources = [module.lake.arn, module.ml_artifacts.arn] },
      { actions = concat(local.mlflow_read_actions, local.mlflow_run_actions), resources = [aws_sagemaker_mlflow_tracking_server.learnloop.arn] },
    ]
  }
}

data "aws_iam_policy_document" "irsa_assume" {
  for_each = local.irsa_statements
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.eks.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${var.kubernetes_namespace}:${var.helm_release}-${each.key}"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "irsa" {
  for_each = local.irsa_statements
  dynamic "statement" {
    for_each = each.value
    content {
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
  statement {
    sid       = "UseDataKey"
    actions   = local.kms_use
    resources = [aws_kms_key.data.arn]
  }
}

resource "aws_iam_role" "irsa" {
  for_each           = local.irsa_statements
  name               = "${local.prefix}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.irsa_assume[each.key].json
}

resource "aws_iam_role_policy" "irsa" {
  for_each = local.irsa_statements
  role     = aws_iam_role.irsa[each.key].id
  policy   = data.aws_iam_policy_document.irsa[each.key].json
}

# external-secrets (namespace external-secrets) reads only this platform's secrets.
data "aws_iam_policy_document" "external_secrets_assume" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.eks.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:sub"
      values   = ["system:serviceaccount:external-secrets:external-secrets"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "external_secrets" {
  statement {
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = concat([for s in aws_secretsmanager_secret.app : s.arn], [aws_secretsmanager_secret.msk_scram.arn])
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.data.arn]
  }
}

resource "aws_iam_role" "external_secrets" {
  name               = "${local.prefix}-external-secrets"
  assume_role_policy = data.aws_iam_policy_document.external_secrets_assume.json
}

resource "aws_iam_role_policy" "external_secrets" {
  role   = aws_iam_role.external_secrets.id
  policy = data.aws_iam_policy_document.external_secrets.json
}
