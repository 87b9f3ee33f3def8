"""Simulator-backed fixtures for the experiment statistics tests."""

from __future__ import annotations

import pytest

from pipelines.experiments.validation import PotentialOutcomes, simulate_potential_outcomes


@pytest.fixture(scope="session")
def potential_outcomes() -> PotentialOutcomes:
    """3000 simulated learners' accuracy before and under each arm of a real treatment."""
    return simulate_potential_outcomes(n_learners=3000, seed=7)
