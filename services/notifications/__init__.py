"""Notification service (NS): in-app inbox, e-mail and webhook delivery through an outbox."""
