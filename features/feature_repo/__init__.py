"""Feast feature repo of learnloop (declarations) and the code that serves it."""
