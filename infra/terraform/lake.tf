# ---- S3: the lake (partitioned parquet), ML artifacts (MLflow, SageMaker, drift reports), Athena
# results, content for CloudFront, and the access-log bucket they all log to.
module "logs" {
  source                     = "./modules/secure-bucket"
  name                       = "${local.prefix}-logs-${local.account_id}"
  kms_key_arn                = aws_kms_key.logs.arn
  object_ownership           = "BucketOwnerPreferred" # CloudFront standard logs are delivered with ACLs
  transition_to_ia_days      = 30
  transition_to_glacier_days = 90
  expiration_days            = 730
  noncurrent_expiration_days = 30
}

module "lake" {
  source                     = "./modules/secure-bucket"
  name                       = "${local.prefix}-lake-${local.account_id}"
  kms_key_arn                = aws_kms_key.data.arn
  log_bucket                 = module.logs.id
  transition_to_ia_days      = 90
  transition_to_glacier_days = 365
  noncurrent_expiration_days = 30
}

module "ml_artifacts" {
  source                     = "./modules/secure-bucket"
  name                       = "${local.prefix}-ml-artifacts-${local.account_id}"
  kms_key_arn                = aws_kms_key.data.arn
  log_bucket                 = module.logs.id
  transition_to_ia_days      = 180
  noncurrent_expiration_days = 90
}

module "athena_results" {
  source                     = "./modules/secure-bucket"
  name                       = "${local.prefix}-athena-results-${local.account_id}"
  kms_key_arn                = aws_kms_key.data.arn
  log_bucket                 = module.logs.id
  expiration_days            = 30
  noncurrent_expiration_days = 1
}

# ---- Glue catalog over the lake (schema of features/lake/schema.py; partition projection, so
# no crawler and no MSCK REPAIR) and an Athena workgroup that enforces encrypted results.
resource "aws_glue_data_catalog_encryption_settings" "main" {
  data_catalog_encryption_settings {
    connection_password_encryption {
      return_connection_password_encrypted = true
      aws_kms_key_id                       = aws_kms_key.data.arn
    }
    encryption_at_rest {
      catalog_encryption_mode = "SSE-KMS"
      sse_aws_kms_key_id      = aws_kms_key.data.arn
    }
  }
}

resource "aws_glue_catalog_database" "lake" {
  name = var.glue_database
}

locals {
  glue_read_arns = [
    "arn:${local.partition}:glue:${var.region}:${local.account_id}:catalog",
    "arn:${local.partition}:glue:${var.region}:${local.account_id}:database/${aws_glue_catalog_database.lake.name}",
    "arn:${local.partition}:glue:${var.region}:${local.account_id}:table/${aws_glue_catalog_database.lake.name}/*",
  ]

  # Lake datasets: columns (Hive types), partition keys and projection, as written by the lake
  # sink (features/lake/schema.py). tests/infra/test_terraform.py checks that these tables equal
  # services.analytics.athena.glue_table_input, the definition the analytics queries rely on.
  lake_tables = {
    events = {
      partitions = { event_date = "string", verb = "string" }
      columns = {
        event_id       = "string"
        learner_id     = "string"
        timestamp      = "timestamp"
        object_id      = "string"
        object_type    = "string"
        course_id      = "string"
        skill_ids      = "array<string>"
        correct        = "boolean"
        score          = "double"
        duration_s     = "double"
        response       = "string"
        hints_used     = "int"
        context        = "string"
        source         = "string"
        schema_version = "string"
      }
      projection = {
        # Must list every features.events.Verb (tests/infra/test_terraform.py checks it).
        "projection.verb.type"   = "enum"
        "projection.verb.values" = "viewed,started,attempted,answered,hint_requested,skipped,completed,passed,failed,progressed,mastered"
      }
    }
    progress = {
      partitions = { event_date = "string" }
      columns = {
        event_id         = "string"
        learner_id       = "string"
        skill_id         = "string"
        mastery          = "double"
        previous_mastery = "double"
        model_name       = "string"
        model_version    = "string"
        cause_event_id   = "string"
        timestamp        = "timestamp"
        schema_version   = "string"
      }
      projection = {}
    }
  }
}

resource "aws_glue_catalog_table" "lake" {
  for_each      = local.lake_tables
  name          = each.key
  database_name = aws_glue_catalog_database.lake.name
  table_type    = "EXTERNAL_TABLE"

  parameters = merge({
    "classification"                      = "parquet"
    "EXTERNAL"                            = "TRUE"
    "projection.enabled"                  = "true"
    "projection.event_date.type"          = "date"
    "projection.event_date.format"        = "yyyy-MM-dd"
    "projection.event_date.range"         = "2000-01-01,NOW"
    "projection.event_date.interval"      = "1"
    "projection.event_date.interval.unit" = "DAYS"
  }, each.value.projection)

  dynamic "partition_keys" {
    for_each = each.value.partitions
    content {
      name = partition_keys.key
      type = partition_keys.value
    }
  }

  storage_descriptor {
    location      = "s3://${module.lake.id}/lake/${each.key}/"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }

    dynamic "columns" {
      for_each = each.value.columns
      content {
        name = columns.key
        type = columns.value
      }
    }
  }
}

resource "aws_athena_workgroup" "lake" {
  name          = local.prefix
  force_destroy = false

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = 107374182400 # 100 GiB

    result_configuration {
      output_location = "s3://${module.athena_results.id}/results/"
      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = aws_kms_key.data.arn
      }
    }
  }
}

# ---- ECR: the one learnloop image, immutable tags, scanned on push, KMS-encrypted.
resource "aws_ecr_repository" "learnloop" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.data.arn
  }
}

resource "aws_ecr_lifecycle_policy" "learnloop" {
  repository = aws_ecr_repository.learnloop.name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "keep the last 100 images"
      selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = 100 }
      action       = { type = "expire" }
    }]
  })
}
