# Everything the Helm values and the operators need (infra/README.md shows the mapping).
output "eks_cluster_name" {
  value = aws_eks_cluster.main.name
}

output "irsa_role_arns" {
  description = "Helm: serviceAccounts.roleArns"
  value       = { for component, role in aws_iam_role.irsa : component => role.arn }
}

output "external_secrets_role_arn" {
  value = aws_iam_role.external_secrets.arn
}

output "public_subnet_cidrs" {
  description = "Helm: networkPolicy.ingressSources.loadBalancerCidrs"
  value       = local.public_subnet_cidrs
}

output "data_subnet_cidrs" {
  description = "Helm: networkPolicy.egressTargets.{postgres,kafka,redis}.cidrs"
  value       = local.data_subnet_cidrs
}

output "msk_bootstrap_brokers_sasl_scram" {
  description = "Helm: config.LEARNLOOP_KAFKA__BOOTSTRAP_SERVERS"
  value       = aws_msk_cluster.main.bootstrap_brokers_sasl_scram
}

output "rds_endpoint" {
  value = aws_db_instance.main.endpoint
}

output "rds_master_secret_arn" {
  value = aws_db_instance.main.master_user_secret[0].secret_arn
}

output "redis_primary_endpoint" {
  description = "Helm: config.LEARNLOOP_FEATURES__REDIS_URL"
  value       = aws_elasticache_replication_group.main.primary_endpoint_address
}

output "progress_table" {
  description = "Helm: config.LEARNLOOP_PROGRESS__DYNAMODB_TABLE"
  value       = aws_dynamodb_table.progress.name
}

output "lake_uri" {
  description = "Helm: config.LEARNLOOP_LAKE__URI"
  value       = "s3://${module.lake.id}/lake"
}

output "ml_artifacts_bucket" {
  value = module.ml_artifacts.id
}

output "glue_database" {
  value = aws_glue_catalog_database.lake.name
}

output "athena_workgroup" {
  value = aws_athena_workgroup.lake.name
}

output "content_distribution_domain" {
  value = aws_cloudfront_distribution.content.domain_name
}

output "api_waf_acl_arn" {
  description = "Helm: ingress.wafAclArn"
  value       = aws_wafv2_web_acl.api.arn
}

output "ecr_repository_url" {
  description = "Helm: image.repository"
  value       = aws_ecr_repository.learnloop.repository_url
}

output "sagemaker_execution_role_arn" {
  value = aws_iam_role.sagemaker.arn
}

output "mlflow_tracking_server_arn" {
  description = "Helm: config.LEARNLOOP_MLFLOW__TRACKING_URI"
  value       = aws_sagemaker_mlflow_tracking_server.learnloop.arn
}
