# An S3 bucket with the platform's baseline: SSE-KMS with a bucket key, versioning, all public
# access blocked, ACLs disabled, TLS-only access, access logging, and lifecycle rules.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.100.0, < 7.0.0" }
  }
}

variable "name" {
  description = "Globally unique bucket name."
  type        = string
}

variable "kms_key_arn" {
  description = "CMK used for SSE-KMS."
  type        = string
}

variable "log_bucket" {
  description = "Bucket receiving server access logs (null only for the log bucket itself)."
  type        = string
  default     = null
}

variable "object_ownership" {
  description = "BucketOwnerEnforced (ACLs off); BucketOwnerPreferred only where a service needs ACLs (CloudFront standard logs)."
  type        = string
  default     = "BucketOwnerEnforced"
}

variable "transition_to_ia_days" {
  description = "Days before current objects move to STANDARD_IA (null: never)."
  type        = number
  default     = null
}

variable "transition_to_glacier_days" {
  description = "Days before current objects move to GLACIER_IR (null: never)."
  type        = number
  default     = null
}

variable "expiration_days" {
  description = "Days before current objects expire (null: never)."
  type        = number
  default     = null
}

variable "noncurrent_expiration_days" {
  description = "Days a replaced or deleted version is kept."
  type        = number
  default     = 90
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:cross-region replication is a DR decision per environment; versioning, lifecycle and KMS protect the primary copy, and the lake is rebuilt from Kafka retention + sources
  #checkov:skip=CKV2_AWS_62:no consumer of S3 event notifications; ingestion is driven by Kafka, not by object creation
  #checkov:skip=CKV_AWS_18:access logging is configured in aws_s3_bucket_logging below (the log bucket itself cannot log to itself)
  bucket = var.name
}

resource "aws_s3_bucket_ownership_controls" "this" {
  #checkov:skip=CKV2_AWS_65:only the log bucket passes BucketOwnerPreferred (CloudFront standard logs are delivered with ACLs); every other bucket keeps the BucketOwnerEnforced default (asserted in tests/infra/test_terraform.py)
  bucket = aws_s3_bucket.this.id
  rule {
    object_ownership = var.object_ownership
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "this" {
  count         = var.log_bucket == null ? 0 : 1
  bucket        = aws_s3_bucket.this.id
  target_bucket = var.log_bucket
  target_prefix = "s3/${var.name}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "tiering-and-expiry"
    status = "Enabled"
    filter {}

    dynamic "transition" {
      for_each = var.transition_to_ia_days == null ? [] : [var.transition_to_ia_days]
      content {
        days          = transition.value
        storage_class = "STANDARD_IA"
      }
    }
    dynamic "transition" {
      for_each = var.transition_to_glacier_days == null ? [] : [var.transition_to_glacier_days]
      content {
        days          = transition.value
        storage_class = "GLACIER_IR"
      }
    }
    dynamic "expiration" {
      for_each = var.expiration_days == null ? [] : [var.expiration_days]
      content {
        days = expiration.value
      }
    }
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_expiration_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

data "aws_iam_policy_document" "tls_only" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

variable "extra_policy_json" {
  description = "Additional bucket policy statements (JSON policy document), merged with TLS-only."
  type        = string
  default     = null
}

data "aws_iam_policy_document" "combined" {
  source_policy_documents = compact([data.aws_iam_policy_document.tls_only.json, var.extra_policy_json])
}

resource "aws_s3_bucket_policy" "this" {
  bucket     = aws_s3_bucket.this.id
  policy     = data.aws_iam_policy_document.combined.json
  depends_on = [aws_s3_bucket_public_access_block.this]
}

output "id" {
  value = aws_s3_bucket.this.id
}

output "arn" {
  value = aws_s3_bucket.this.arn
}

output "regional_domain_name" {
  value = aws_s3_bucket.this.bucket_regional_domain_name
}
