"""Typer sub-applications of the ``learnloop`` CLI, one module per command group."""
