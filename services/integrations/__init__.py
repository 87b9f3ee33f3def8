"""Integrations: Stripe subscription webhooks (inbound) and CRM lifecycle webhooks (outbound)."""
