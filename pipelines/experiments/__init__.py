"""A/B experiments: definitions, deterministic assignment, analysis, sequential tests, OPE."""
