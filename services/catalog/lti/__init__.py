"""learnloop as an LTI 1.3 tool: OIDC login, launch, deep linking, grade passback (AGS)."""
