"""Torch knowledge-tracing models (DKT, SAKT, AKT, simpleKT, DKVMN) and their shared trainer."""
