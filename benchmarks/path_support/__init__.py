"""Helpers of benchmarks/path.py: chosen parameters, the simulated world, the policies run
in it, and the report."""
