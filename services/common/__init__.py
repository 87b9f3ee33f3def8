"""Plumbing shared by the platform services: database, auth, RBAC, events, privacy, wiring."""
