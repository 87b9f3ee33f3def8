# Security groups of the data tier: each store accepts only its port, only from the private
# (EKS) subnets. Egress is not needed by any of them.
resource "aws_security_group" "store" {
  for_each    = { postgres = 5432, kafka = 9096, redis = 6379 }
  name        = "${local.prefix}-${each.key}"
  description = "${each.key}: port ${each.value} from the EKS subnets only"
  vpc_id      = aws_vpc.main.id

  ingress {
    description = "${each.key} from EKS nodes and pods"
    from_port   = each.value
    to_port     = each.value
    protocol    = "tcp"
    cidr_blocks = local.private_subnet_cidrs
  }

  tags = { Name = "${local.prefix}-${each.key}" }
}

# ---- MSK: one broker per AZ, TLS everywhere, SASL/SCRAM clients (librdkafka SASL_SSL), KMS at
# rest, broker logs to CloudWatch, Prometheus JMX/node exporters for the dashboards.
resource "aws_msk_configuration" "main" {
  name           = local.prefix
  kafka_versions = [var.msk_kafka_version]
  server_properties = join("\n", [
    "auto.create.topics.enable=false",
    "default.replication.factor=3",
    "min.insync.replicas=2",
    "unclean.leader.election.enable=false",
    "num.partitions=6",
  ])
}

resource "aws_cloudwatch_log_group" "msk" {
  name              = "/aws/msk/${local.prefix}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
}

resource "aws_msk_cluster" "main" {
  cluster_name           = local.prefix
  kafka_version          = var.msk_kafka_version
  number_of_broker_nodes = var.az_count
  enhanced_monitoring    = "PER_TOPIC_PER_PARTITION"

  broker_node_group_info {
    instance_type   = var.msk_instance_type
    client_subnets  = aws_subnet.data[*].id
    security_groups = [aws_security_group.store["kafka"].id]
    storage_info {
      ebs_storage_info {
        volume_size = var.msk_volume_size_gb
      }
    }
    connectivity_info {
      public_access {
        type = "DISABLED"
      }
    }
  }

  configuration_info {
    arn      = aws_msk_configuration.main.arn
    revision = aws_msk_configuration.main.latest_revision
  }

  client_authentication {
    unauthenticated = false
    sasl {
      scram = true
    }
  }

  encryption_info {
    encryption_at_rest_kms_key_arn = aws_kms_key.data.arn
    encryption_in_transit {
      client_broker = "TLS"
      in_cluster    = true
    }
  }

  open_monitoring {
    prometheus {
      jmx_exporter {
        enabled_in_broker = true
      }
      node_exporter {
        enabled_in_broker = true
      }
    }
  }

  logging_info {
    broker_logs {
      cloudwatch_logs {
        enabled   = true
        log_group = aws_cloudwatch_log_group.msk.name
      }
    }
  }
}

# MSK requires SCRAM secrets to be named AmazonMSK_* and encrypted with a customer key. The
# username/password JSON is put into it out of band (never in Terraform state), then associated.
resource "aws_secretsmanager_secret" "msk_scram" {
  #checkov:skip=CKV2_AWS_57:SCRAM credentials are rotated by re-putting the secret and re-associating it (MSK has no rotation Lambda integration)
  name                    = "AmazonMSK_${var.name}_${var.environment}"
  kms_key_id              = aws_kms_key.data.arn
  recovery_window_in_days = 30
}

resource "aws_msk_scram_secret_association" "main" {
  cluster_arn     = aws_msk_cluster.main.arn
  secret_arn_list = [aws_secretsmanager_secret.msk_scram.arn]
}

# ---- RDS PostgreSQL: Multi-AZ, encrypted with the data key, 14 days of PITR, IAM auth, TLS
# forced, query logging, Performance Insights, master password managed by RDS in Secrets Manager.
resource "aws_db_subnet_group" "main" {
  name       = local.prefix
  subnet_ids = aws_subnet.data[*].id
}

resource "aws_db_parameter_group" "postgres" {
  name   = "${local.prefix}-postgres${var.rds_engine_version}"
  family = "postgres${var.rds_engine_version}"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
  parameter {
    name  = "log_statement"
    value = "ddl"
  }
  parameter {
    name  = "log_min_duration_statement"
    value = "500"
  }
  parameter {
    name  = "log_connections"
    value = "1"
  }
  parameter {
    name  = "log_disconnections"
    value = "1"
  }
}

data "aws_iam_policy_document" "rds_monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "rds_monitoring" {
  name               = "${local.prefix}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.rds_monitoring_assume.json
}

resource "aws_iam_role_policy_attachment" "rds_monitoring" {
  role       = aws_iam_role.rds_monitoring.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "main" {
  identifier     = local.prefix
  engine         = "postgres"
  engine_version = var.rds_engine_version
  instance_class = var.rds_instance_class
  db_name        = "learnloop"
  username       = "learnloop_admin"

  manage_master_user_password   = true
  master_user_secret_kms_key_id = aws_kms_key.data.arn

  allocated_storage     = var.rds_allocated_storage_gb
  max_allocated_storage = var.rds_allocated_storage_gb * 10
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.data.arn

  multi_az               = true
  db_subnet_group_name   = aws_db_subnet_group.main.name
  vpc_security_group_ids = [aws_security_group.store["postgres"].id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.postgres.name
  ca_cert_identifier     = "rds-ca-rsa2048-g1"

  backup_retention_period   = var.rds_backup_retention_days
  backup_window             = "02:00-03:00"
  maintenance_window        = "sun:03:30-sun:04:30"
  copy_tags_to_snapshot     = true
  deletion_protection       = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "${local.prefix}-final"

  iam_database_authentication_enabled   = true
  auto_minor_version_upgrade            = true
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.data.arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 30
  monitoring_role_arn                   = aws_iam_role.rds_monitoring.arn
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]
}

# ---- DynamoDB progress store (LEARNLOOP_PROGRESS__BACKEND=dynamodb): on-demand, PITR, CMK.
resource "aws_dynamodb_table" "progress" {
  name                        = "${local.prefix}-progress"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "learner_id"
  range_key                   = "skill_id"
  deletion_protection_enabled = true

  attribute {
    name = "learner_id"
    type = "S"
  }
  attribute {
    name = "skill_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.data.arn
  }
}

# ---- ElastiCache Redis: Feast online store and gateway rate limits. Multi-AZ with automatic
# failover, TLS, AUTH, encrypted at rest with the data key.
resource "aws_elasticache_subnet_group" "main" {
  name       = local.prefix
  subnet_ids = aws_subnet.data[*].id
}

resource "aws_elasticache_replication_group" "main" {
  replication_group_id       = local.prefix
  description                = "learnloop online features and rate limits"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = var.redis_node_type
  num_cache_clusters         = var.az_count
  port                       = 6379
  subnet_group_name          = aws_elasticache_subnet_group.main.name
  security_group_ids         = [aws_security_group.store["redis"].id]
  automatic_failover_enabled = true
  multi_az_enabled           = true
  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.data.arn
  transit_encryption_enabled = true
  auth_token                 = var.redis_auth_token
  snapshot_retention_limit   = 7
  auto_minor_version_upgrade = true
}

# ---- Application secrets: containers only. Values are put by operators (never in state) and
# synced into the cluster by external-secrets (Helm: secrets.externalSecret).
resource "aws_secretsmanager_secret" "app" {
  #checkov:skip=CKV2_AWS_57:these hold composed settings (database URL with the app role's password, Redis URL, pseudonym HMAC key); the RDS master password itself is rotated by RDS (manage_master_user_password)
  for_each                = toset(["database-url", "redis-url", "pseudonym-secret"])
  name                    = "${var.name}/${var.environment}/${each.key}"
  kms_key_id              = aws_kms_key.data.arn
  recovery_window_in_days = 30
}
