"""Thin FastAPI platform services and the gateway that mounts them."""
