variable "name" {
  description = "Prefix of every resource name."
  type        = string
  default     = "learnloop"
}

variable "environment" {
  description = "Environment name (production, staging, ...)."
  type        = string
  default     = "production"
}

variable "region" {
  description = "AWS region of the platform."
  type        = string
  default     = "eu-west-1"
}

variable "vpc_cidr" {
  description = "VPC range; split into /20 public, private (EKS) and data subnets per AZ."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Availability zones used (every tier spans all of them)."
  type        = number
  default     = 3
  validation {
    condition     = var.az_count >= 2 && var.az_count <= 4
    error_message = "az_count must be 2 to 4: multi-AZ needs at least 2, the /20 plan fits 4."
  }
}

variable "availability_zone_suffixes" {
  description = "Zone letters the platform may use in var.region (the first az_count available ones are used)."
  type        = list(string)
  default     = ["a", "b", "c"]
}

variable "eks_version" {
  description = "Kubernetes version of the EKS control plane and nodes."
  type        = string
  default     = "1.34"
}

variable "eks_public_access_cidrs" {
  description = "CIDRs allowed to reach the EKS API publicly; empty keeps the endpoint private (VPN / bastion)."
  type        = list(string)
  default     = []
}

variable "node_instance_types" {
  description = "Instance types of the general node group."
  type        = list(string)
  default     = ["m7i.xlarge", "m6i.xlarge"]
}

variable "node_min_size" {
  type    = number
  default = 3
}

variable "node_max_size" {
  type    = number
  default = 12
}

variable "kubernetes_namespace" {
  description = "Namespace the Helm chart is installed in (IRSA trust)."
  type        = string
  default     = "learnloop"
}

variable "helm_release" {
  description = "Helm release name; service accounts are <release>-<component> (IRSA trust)."
  type        = string
  default     = "learnloop"
}

variable "msk_kafka_version" {
  type    = string
  default = "3.8.x"
}

variable "msk_instance_type" {
  type    = string
  default = "kafka.m7g.large"
}

variable "msk_volume_size_gb" {
  type    = number
  default = 500
}

variable "rds_instance_class" {
  type    = string
  default = "db.r7g.large"
}

variable "rds_engine_version" {
  type    = string
  default = "17"
}

variable "rds_allocated_storage_gb" {
  type    = number
  default = 100
}

variable "rds_backup_retention_days" {
  description = "Automated backups kept: point-in-time recovery window."
  type        = number
  default     = 14
  validation {
    condition     = var.rds_backup_retention_days >= 7
    error_message = "Keep at least 7 days of backups for point-in-time recovery."
  }
}

variable "redis_node_type" {
  type    = string
  default = "cache.r7g.large"
}

variable "redis_auth_token" {
  description = "AUTH token of the Redis replication group (from your secret store, e.g. TF_VAR_redis_auth_token)."
  type        = string
  sensitive   = true
}

variable "glue_database" {
  description = "Glue database of the lake tables (the analytics service's Athena database)."
  type        = string
  default     = "learnloop"
}

variable "content_domain" {
  description = "Domain served by CloudFront for learning content, e.g. content.learnloop.example."
  type        = string
}

variable "content_certificate_arn" {
  description = "ACM certificate (us-east-1) for content_domain."
  type        = string
}

variable "api_rate_limit_per_5min" {
  description = "WAF rate-based rule: requests per client IP per 5 minutes before blocking."
  type        = number
  default     = 3000
}

variable "log_retention_days" {
  description = "CloudWatch log retention (WAF, VPC flow logs, EKS, MSK, RDS)."
  type        = number
  default     = 365
}

variable "mlflow_tracking_server_size" {
  description = "Size of the SageMaker managed MLflow tracking server (Small: up to ~25 users)."
  type        = string
  default     = "Small"
  validation {
    condition     = contains(["Small", "Medium", "Large"], var.mlflow_tracking_server_size)
    error_message = "mlflow_tracking_server_size must be Small, Medium or Large."
  }
}

variable "mlflow_version" {
  description = "MLflow version of the tracking server: the major version of the image's client (mlflow>=3.1)."
  type        = string
  default     = "3.0"
  validation {
    condition     = can(regex("^3(\\.[0-9]+)+$", var.mlflow_version))
    error_message = "mlflow_version must be a 3.x version: the client in the image is MLflow 3."
  }
}
