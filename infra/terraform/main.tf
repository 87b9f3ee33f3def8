data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
# Zones pinned by name, so the set never silently grows when AWS adds a zone.
data "aws_availability_zones" "available" {
  state = "available"
  filter {
    name   = "zone-name"
    values = [for suffix in var.availability_zone_suffixes : "${var.region}${suffix}"]
  }
}

locals {
  prefix     = "${var.name}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  azs        = slice(data.aws_availability_zones.available.names, 0, var.az_count)

  # /20 blocks: 0-3 public (load balancers, NAT), 4-7 private (EKS nodes and pods), 8-11 data
  # (RDS, MSK, Redis). The Helm chart's NetworkPolicy CIDRs come from these (outputs).
  public_subnet_cidrs  = [for i in range(var.az_count) : cidrsubnet(var.vpc_cidr, 4, i)]
  private_subnet_cidrs = [for i in range(var.az_count) : cidrsubnet(var.vpc_cidr, 4, 4 + i)]
  data_subnet_cidrs    = [for i in range(var.az_count) : cidrsubnet(var.vpc_cidr, 4, 8 + i)]

  tags = {
    Project     = var.name
    Environment = var.environment
    ManagedBy   = "terraform"
  }
}
