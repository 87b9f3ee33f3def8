"""Gateway: one entry point mounting every platform service."""
