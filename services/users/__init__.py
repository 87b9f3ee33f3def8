"""User management service (UMS): accounts, tokens, OIDC issuer, RBAC roles, privacy requests."""
