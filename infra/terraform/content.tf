# ---- Learning content (catalog assets) served by CloudFront from a private bucket through Origin
# Access Control, HTTPS only (TLS 1.2+), security headers, access logs, and a CloudFront WAF.
module "content" {
  source                     = "./modules/secure-bucket"
  name                       = "${local.prefix}-content-${local.account_id}"
  kms_key_arn                = aws_kms_key.data.arn
  log_bucket                 = module.logs.id
  noncurrent_expiration_days = 90
  extra_policy_json          = data.aws_iam_policy_document.content_cloudfront.json
}

data "aws_iam_policy_document" "content_cloudfront" {
  statement {
    sid       = "CloudFrontReadsThroughOAC"
    actions   = ["s3:GetObject"]
    resources = ["arn:${local.partition}:s3:::${local.prefix}-content-${local.account_id}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = ["arn:${local.partition}:cloudfront::${local.account_id}:distribution/*"]
    }
  }
}

resource "aws_cloudfront_origin_access_control" "content" {
  name                              = "${local.prefix}-content"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_response_headers_policy" "security" {
  name = "${local.prefix}-security-headers"
  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = 31536000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }
    content_type_options {
      override = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }
  }
}

data "aws_cloudfront_cache_policy" "optimized" {
  name = "Managed-CachingOptimized"
}

resource "aws_cloudfront_distribution" "content" {
  #checkov:skip=CKV_AWS_310:a single S3 origin in a versioned bucket; S3 regional availability is the failover, a second origin would need cross-region replication (see the secure-bucket module)
  #checkov:skip=CKV_AWS_374:learners are worldwide; no geo restriction by design
  enabled             = true
  comment             = "learnloop learning content"
  aliases             = [var.content_domain]
  http_version        = "http2and3"
  is_ipv6_enabled     = true
  price_class         = "PriceClass_100"
  default_root_object = "index.html"
  web_acl_id          = aws_wafv2_web_acl.content.arn

  origin {
    origin_id                = "content-s3"
    domain_name              = module.content.regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.content.id
  }

  default_cache_behavior {
    target_origin_id           = "content-s3"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = data.aws_cloudfront_cache_policy.optimized.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.security.id
  }

  viewer_certificate {
    acm_certificate_arn      = var.content_certificate_arn
    ssl_support_method       = "sni-only"
    minimum_protocol_version = "TLSv1.2_2021"
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  logging_config {
    bucket          = "${module.logs.id}.s3.amazonaws.com"
    prefix          = "cloudfront/content/"
    include_cookies = false
  }
}
