"""Helpers of benchmarks/kt.py: published numbers, latency probes, reference runners."""
