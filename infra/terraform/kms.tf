# Customer-managed keys, rotated yearly: one for data at rest (S3, RDS, DynamoDB, MSK, Redis,
# Secrets Manager), one for logs (CloudWatch Logs needs a key policy of its own), one for EKS
# secrets envelope encryption.
data "aws_iam_policy_document" "kms_data" {
  # A key policy's "*" resource means "this key"; the account root statement is AWS's default
  # key policy, which delegates access control to IAM policies (all scoped to the key ARN).
  #checkov:skip=CKV_AWS_111:key policy: resource "*" is the key itself; root delegation to IAM is the AWS default key policy
  #checkov:skip=CKV_AWS_356:key policy: resource "*" is the key itself, not all resources
  #checkov:skip=CKV_AWS_109:key policy: root delegation to IAM is the AWS default key policy; IAM policies grant per-role use
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
}

# Keyed by region: the platform region, and us-east-1 for the CloudFront WAF's logs.
data "aws_iam_policy_document" "kms_logs" {
  for_each = toset([var.region, "us-east-1"])
  #checkov:skip=CKV_AWS_111:key policy: resource "*" is the key itself; the logs service may only use it for log groups of this account (condition)
  #checkov:skip=CKV_AWS_356:key policy: resource "*" is the key itself, not all resources
  source_policy_documents = [data.aws_iam_policy_document.kms_data.json]
  statement {
    sid       = "CloudWatchLogs"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${each.key}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${each.key}:${local.account_id}:log-group:*"]
    }
  }
  statement {
    sid       = "CloudFrontAndWafLogDelivery"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["delivery.logs.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "data" {
  description             = "${local.prefix} data at rest"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms_data.json
}

resource "aws_kms_alias" "data" {
  name          = "alias/${local.prefix}-data"
  target_key_id = aws_kms_key.data.key_id
}

resource "aws_kms_key" "logs" {
  description             = "${local.prefix} logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms_logs[var.region].json
}

resource "aws_kms_alias" "logs" {
  name          = "alias/${local.prefix}-logs"
  target_key_id = aws_kms_key.logs.key_id
}

resource "aws_kms_key" "eks" {
  description             = "${local.prefix} EKS secrets"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms_data.json
}

resource "aws_kms_alias" "eks" {
  name          = "alias/${local.prefix}-eks"
  target_key_id = aws_kms_key.eks.key_id
}
