# ---- WAF: a regional web ACL in front of the API load balancer (the Helm Ingress attaches it via
# alb.ingress.kubernetes.io/wafv2-acl-arn) and a CloudFront-scope one for the content CDN. Both
# run AWS managed rule groups (common exploits, known bad inputs incl. Log4j, IP reputation) and
# log to CloudWatch; the API also gets SQL-injection rules and a per-IP rate limit.
locals {
  # Known bad inputs (Log4Shell among them) is a static rule in each ACL below.
  managed_rule_groups = {
    AWSManagedRulesAmazonIpReputationList = 10
    AWSManagedRulesCommonRuleSet          = 20
    AWSManagedRulesSQLiRuleSet            = 40
  }
}

resource "aws_wafv2_web_acl" "api" {
  name  = "${local.prefix}-api"
  scope = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "rate-limit-per-ip"
    priority = 1
    action {
      block {}
    }
    statement {
      rate_based_statement {
        limit              = var.api_rate_limit_per_5min
        aggregate_key_type = "IP"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.prefix}-api-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "AWSManagedRulesKnownBadInputsRuleSet"
    priority = 30
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.prefix}-api-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  dynamic "rule" {
    for_each = local.managed_rule_groups
    content {
      name     = rule.key
      priority = rule.value
      override_action {
        none {}
      }
      statement {
        managed_rule_group_statement {
          vendor_name = "AWS"
          name        = rule.key
        }
      }
      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${local.prefix}-api-${rule.key}"
        sampled_requests_enabled   = true
      }
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${local.prefix}-api"
    sampled_requests_enabled   = true
  }
}

resource "aws_cloudwatch_log_group" "waf_api" {
  # WAF only logs to groups named aws-waf-logs-*.
  name              = "aws-waf-logs-${local.prefix}-api"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs.arn
}

resource "aws_wafv2_web_acl_logging_configuration" "api" {
  resource_arn            = aws_wafv2_web_acl.api.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf_api.arn]
  redacted_fields {
    single_header {
      name = "authorization"
    }
  }
  redacted_fields {
    single_header {
      name = "cookie"
    }
  }
}

resource "aws_wafv2_web_acl" "content" {
  provider = aws.us_east_1
  name     = "${local.prefix}-content"
  scope    = "CLOUDFRONT"

  default_action {
    allow {}
  }

  rule {
    name     = "AWSManagedRulesKnownBadInputsRuleSet"
    priority = 30
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.prefix}-content-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  # Requests from hosting providers (scrapers, bots) are blocked; VPN / Tor users only counted,
  # learners behind a VPN still get their content.
  rule {
    name     = "AWSManagedRulesAnonymousIpList"
    priority = 50
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesAnonymousIpList"
        rule_action_override {
          name = "AnonymousIPList"
          action_to_use {
            count {}
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.prefix}-content-anonymous-ip"
      sampled_requests_enabled   = true
    }
  }

  dynamic "rule" {
    for_each = { for k, v in local.managed_rule_groups : k => v if k != "AWSManagedRulesSQLiRuleSet" }
    content {
      name     = rule.key
      priority = rule.value
      override_action {
        none {}
      }
      statement {
        managed_rule_group_statement {
          vendor_name = "AWS"
          name        = rule.key
        }
      }
      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${local.prefix}-content-${rule.key}"
        sampled_requests_enabled   = true
      }
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${local.prefix}-content"
    sampled_requests_enabled   = true
  }
}

resource "aws_cloudwatch_log_group" "waf_content" {
  provider          = aws.us_east_1
  name              = "aws-waf-logs-${local.prefix}-content"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.logs_us_east_1.arn
}

resource "aws_wafv2_web_acl_logging_configuration" "content" {
  provider                = aws.us_east_1
  resource_arn            = aws_wafv2_web_acl.content.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf_content.arn]
}

# CloudWatch Logs in us-east-1 needs a key in us-east-1.
resource "aws_kms_key" "logs_us_east_1" {
  provider                = aws.us_east_1
  description             = "${local.prefix} logs (us-east-1: CloudFront WAF)"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms_logs["us-east-1"].json
}
