environment             = "production"
region                  = "eu-west-1"
content_domain          = "content.learnloop.example"
content_certificate_arn = "arn:aws:acm:us-east-1:111122223333:certificate/00000000-0000-0000-0000-000000000000"
# redis_auth_token: TF_VAR_redis_auth_token from the secret store, never in this file.
